package dev.airlock.internal.intercept;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.inherited.InheritedTools;
import java.lang.reflect.Method;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The one rule every adapter applies: method, then what it overrides or implements, then its class. */
class EffectiveAirlockTest {

  @Test
  void anImplementationInheritsTheInterfacesAnnotation() throws Exception {
    Method impl = InheritedTools.InterfaceImpl.class.getMethod("viaInterface");
    EffectiveAirlock.Resolved resolved = EffectiveAirlock.of(InheritedTools.InterfaceImpl.class, impl).orElseThrow();
    assertThat(resolved.method()).isEqualTo(impl);
    assertThat(resolved.airlock().sandboxRequired()).isTrue();
  }

  @Test
  void theInterfaceMethodResolvesToTheReceiversImplementation() throws Exception {
    Method declared = InheritedTools.Tool.class.getMethod("viaInterface");
    assertThat(EffectiveAirlock.of(InheritedTools.InterfaceImpl.class, declared).orElseThrow().method())
        .isEqualTo(InheritedTools.InterfaceImpl.class.getMethod("viaInterface"));
  }

  @Test
  void aGenericBridgeResolvesToTheMethodItBridgesTo() throws Exception {
    Method bridge = Arrays.stream(InheritedTools.GenericImpl.class.getDeclaredMethods())
        .filter(Method::isBridge).findFirst().orElseThrow();
    Method target = InheritedTools.GenericImpl.class.getMethod("viaGeneric", String.class);
    assertThat(EffectiveAirlock.of(InheritedTools.GenericImpl.class, bridge).orElseThrow().method())
        .isEqualTo(target);
    assertThat(EffectiveAirlock.governs(InheritedTools.GenericImpl.class, target)).isTrue();
  }

  @Test
  void aClassAnnotationGovernsPublicMethodsOfTheClassAndItsSubclassesButNotObjectMethods() throws Exception {
    assertThat(EffectiveAirlock.governs(InheritedTools.ClassLevelSub.class,
        InheritedTools.ClassLevelSub.class.getMethod("viaSubclass"))).isTrue();
    assertThat(EffectiveAirlock.governs(InheritedTools.ClassLevel.class,
        InheritedTools.ClassLevel.class.getMethod("toString"))).isFalse();
    assertThat(EffectiveAirlock.governs(InheritedTools.ClassLevel.class, Object.class.getMethod("hashCode")))
        .isFalse();
  }

  @Test
  void aMethodNothingAnnotatesIsNotATool() throws Exception {
    assertThat(EffectiveAirlock.governs(InheritedTools.class, InheritedTools.class.getMethod("expected")))
        .isFalse();
  }
}
