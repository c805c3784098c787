package dev.airlock.agent;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDefinition;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * The core's rule for which methods an {@code @Airlock} governs ({@code EffectiveAirlock}), in Byte Buddy's terms,
 * so the agent instruments every such method while the class is loaded (the core is not visible from here). A
 * method is a tool when it carries the annotation, when it overrides or implements a method that does (generic
 * supertypes are resolved, so {@code run(String)} implementing {@code Tool<String>.run(T)} counts), or when it is a
 * public instance method other than {@code equals}, {@code hashCode} and {@code toString} of a type that carries
 * the annotation or extends one that does. Bridges are left alone: they call the method they bridge to, which is
 * instrumented. The interceptor resolves the same rule again at call time and refuses a call it cannot resolve.
 */
final class ToolMatchers {
  private static final Set<String> OBJECT_METHODS = Set.of("equals", "hashCode", "toString");

  private ToolMatchers() {
  }

  /**
   * Types that may hold a tool: they or one of their supertypes declare an annotated method or are annotated. The
   * verdict of every type seen is remembered per class loader (as that loader resolves the name), so a supertype's
   * class file is read once, not once per subclass.
   */
  static AgentBuilder.RawMatcher mayDeclareTools(String annotation) {
    Map<ClassLoader, Map<String, Boolean>> verdicts = Collections.synchronizedMap(new WeakHashMap<>());
    Map<String, Boolean> bootVerdicts = new ConcurrentHashMap<>();
    return (type, loader, module, redefined, domain) -> {
      Map<String, Boolean> known = loader == null ? bootVerdicts
          : verdicts.computeIfAbsent(loader, l -> new ConcurrentHashMap<>());
      return declaresTools(type, annotation, known);
    };
  }

  private static boolean declaresTools(TypeDefinition type, String annotation, Map<String, Boolean> known) {
    String name = type.asErasure().getName();
    if (ToolCandidates.neverTool(name)) {
      return false;
    }
    Boolean verdict = known.get(name);
    if (verdict != null) {
      return verdict;
    }
    boolean tools = annotated(type.asErasure(), annotation)
        || type.getDeclaredMethods().stream().anyMatch(m -> annotated(m, annotation))
        || (type.getSuperClass() != null && declaresTools(type.getSuperClass(), annotation, known))
        || type.getInterfaces().stream().anyMatch(i -> declaresTools(i, annotation, known));
    known.put(name, tools);
    return tools;
  }

  /** Methods with a body that the rule makes tools. */
  static ElementMatcher.Junction<MethodDescription> tools(String annotation) {
    return new ElementMatcher.Junction.AbstractBase<>() {
      @Override
      public boolean matches(MethodDescription method) {
        if (method.isAbstract() || method.isNative() || method.isBridge() || !method.isMethod()) {
          return false;
        }
        if (annotated(method, annotation)) {
          return true;
        }
        if (!method.isVirtual()) {
          return false;
        }
        List<TypeDescription> parameters = method.getParameters().asTypeList().asErasures();
        for (TypeDefinition type : hierarchy(method.getDeclaringType())) {
          for (MethodDescription declared : type.getDeclaredMethods()) {
            if (declared.isVirtual() && !declared.isBridge() && declared.getName().equals(method.getName())
                && (declared.getParameters().asTypeList().asErasures().equals(parameters)
                    || declared.asDefined().getParameters().asTypeList().asErasures().equals(parameters))
                && annotated(declared, annotation)) {
              return true;
            }
          }
        }
        if (!method.isPublic() || method.isStatic() || method.isSynthetic()
            || OBJECT_METHODS.contains(method.getName())) {
          return false;
        }
        for (TypeDefinition type : hierarchy(method.getDeclaringType())) {
          if (annotated(type.asErasure(), annotation)) {
            return true;
          }
        }
        return false;
      }
    };
  }

  private static boolean annotated(MethodDescription method, String annotation) {
    return method.getDeclaredAnnotations().stream()
        .anyMatch(a -> a.getAnnotationType().getName().equals(annotation));
  }

  private static boolean annotated(TypeDescription type, String annotation) {
    return type.getDeclaredAnnotations().stream().anyMatch(a -> a.getAnnotationType().getName().equals(annotation));
  }

  /**
   * {@code type} and its generic supertypes (type variables bound as the subtype binds them), each once. JDK types
   * and their supertypes are left out: they never carry {@code @Airlock}, and reading them for every loaded class
   * doubled the agent's matching time.
   */
  private static List<TypeDefinition> hierarchy(TypeDefinition type) {
    List<TypeDefinition> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Deque<TypeDefinition> pending = new ArrayDeque<>();
    pending.push(type);
    while (!pending.isEmpty()) {
      TypeDefinition next = pending.pop();
      String name = next.asErasure().getName();
      if (!seen.add(name) || ToolCandidates.neverTool(name)) {
        continue;
      }
      out.add(next);
      if (next.getSuperClass() != null) {
        pending.push(next.getSuperClass());
      }
      List<TypeDescription.Generic> interfaces = next.getInterfaces();
      for (int i = interfaces.size() - 1; i >= 0; i--) {
        pending.push(interfaces.get(i));
      }
    }
    return out;
  }
}
