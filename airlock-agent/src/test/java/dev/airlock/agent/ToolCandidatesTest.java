package dev.airlock.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.agentapp.AgentApp;
import com.example.inherited.InheritedTools;
import com.sun.airlocktest.Plain;
import com.sun.airlocktest.ShellTool;
import dev.airlock.AirlockRuntime;
import dev.airlock.spi.airlocktest.ClassLevelTool;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.bytebuddy.airlocktest.InheritedTool;
import org.junit.jupiter.api.Test;

/**
 * The premain's filter, on real class files: every class the agent must instrument (annotated, or inheriting the
 * annotation from an interface, a superclass or an outer rule of {@link ToolMatchers}) is a candidate, a class
 * that cannot hold a tool is not, and a class file it cannot read is.
 */
class ToolCandidatesTest {
  private static final String HOST_WARM_UP = "dev/airlock/internal/intercept/HostWarmUp";
  private final ClassLoader loader = getClass().getClassLoader();
  private final ToolCandidates candidates = new ToolCandidates();

  /**
   * Spring AOP's generated subclass of a tool bean hands every call to the bean's advice chain, which ends in the
   * bean's own rewritten method: it is left alone, so the bean, not the proxy, is the call's receiver. The same
   * subclass without Spring's proxy interfaces is a candidate.
   */
  @Test
  void springAopProxiesOfToolClassesAreNotCandidates() {
    String tools = AgentApp.Tools.class.getName();
    String proxy = tools + "$$SpringCGLIB$$0";
    assertThat(candidates.mayHoldTools(loader, proxy.replace('.', '/'), subclass(proxy, tools,
        "org.springframework.aop.SpringProxy", "org.springframework.aop.framework.Advised",
        "org.springframework.cglib.proxy.Factory"))).isFalse();
    assertThat(new ToolCandidates().mayHoldTools(loader, "com/example/Sub", subclass("com.example.Sub", tools)))
        .isTrue();
  }

  /** {@code public class name extends superclass implements interfaces {}}, as a class file. */
  private static byte[] subclass(String name, String superclass, String... interfaces) {
    net.bytebuddy.jar.asm.ClassWriter writer = new net.bytebuddy.jar.asm.ClassWriter(0);
    String[] names = new String[interfaces.length];
    for (int i = 0; i < interfaces.length; i++) {
      names[i] = interfaces[i].replace('.', '/');
    }
    writer.visit(net.bytebuddy.jar.asm.Opcodes.V17, net.bytebuddy.jar.asm.Opcodes.ACC_PUBLIC, name.replace('.', '/'),
        null, superclass.replace('.', '/'), names);
    writer.visitEnd();
    return writer.toByteArray();
  }

  @Test
  void annotatedClassesAndEveryInheritedShapeAreCandidates() throws IOException {
    List<Class<?>> tools = List.of(AgentApp.Tools.class, InheritedTools.Tool.class, InheritedTools.InterfaceImpl.class,
        InheritedTools.AbstractImpl.class, InheritedTools.OverridingImpl.class, InheritedTools.GenericImpl.class,
        InheritedTools.DefaultImpl.class, InheritedTools.DefaultImplementation.class,
        InheritedTools.DefaultImplementationImpl.class, InheritedTools.ClassLevel.class,
        InheritedTools.ClassLevelSub.class);
    for (Class<?> tool : tools) {
      // A fresh filter each time: the subclass is seen before its supertypes, as a class loader defines them.
      assertThat(new ToolCandidates().mayHoldTools(loader, internalName(tool), bytes(tool))).as(tool.getName())
          .isTrue();
    }
  }

  @Test
  void classesWithoutTheAnnotationAnywhereAreNot() throws IOException {
    for (Class<?> plain : List.of(AgentApp.class, ToolCandidatesTest.class, org.assertj.core.api.Assertions.class)) {
      assertThat(candidates.mayHoldTools(loader, internalName(plain), bytes(plain))).as(plain.getName()).isFalse();
    }
  }

  @Test
  void theJdksAndAirlocksOwnClassesAreIgnoredButItsSamplesAreNot() {
    assertThat(ToolCandidates.ignored("java.lang.String")).isTrue();
    assertThat(ToolCandidates.ignored("dev.airlock.internal.intercept.AirlockInterceptor")).isTrue();
    assertThat(ToolCandidates.ignored("net.bytebuddy.ByteBuddy")).isTrue();
    assertThat(ToolCandidates.ignored("dev.airlock.samples.agent.Tools")).isFalse();
    assertThat(ToolCandidates.ignored("dev.airlock.AirlockRuntime")).isTrue();
    assertThat(ToolCandidates.ignored("dev.airlock.agent.AgentDispatch")).isTrue();
    assertThat(ToolCandidates.ignored("dev.airlock.demo.ShellTools")).as("an application's package").isFalse();
    assertThat(ToolCandidates.ignored("dev.airlock.bench.Tools")).isFalse();
    assertThat(ToolCandidates.ignored("com.example.Tools")).isFalse();
  }

  /**
   * A class the agent leaves alone by name is a candidate for the refusal when it carries {@code @Airlock} on a
   * method or on the class, or inherits it from a supertype outside the ignored packages; one that does not is not,
   * nor is anything the JDK's own loaders define.
   */
  @Test
  void ignoredClassesThatMayHoldToolsAreCandidatesForTheRefusal() throws IOException {
    for (Class<?> tool : List.of(ShellTool.class, ClassLevelTool.class, InheritedTool.class)) {
      assertThat(new ToolCandidates().skippedMayHoldTools(loader, internalName(tool), bytes(tool))).as(tool.getName())
          .isTrue();
      assertThat(candidates.skippedMayHoldTools(null, internalName(tool), bytes(tool))).isFalse();
      assertThat(candidates.skippedMayHoldTools(ClassLoader.getPlatformClassLoader(), internalName(tool),
          bytes(tool))).isFalse();
    }
    assertThat(candidates.skippedMayHoldTools(loader, internalName(Plain.class), bytes(Plain.class))).isFalse();
  }

  /**
   * Airlock's own classes in the ignored packages keep loading: those that name {@code @Airlock}'s type without
   * carrying it are not refused by the rule, and the one that carries it (the interceptor's warm-up sample) is not
   * asked.
   */
  @Test
  void airlocksOwnClassesAreNotRefused() throws IOException {
    ToolTransformer transformer = ToolTransformer.make(candidates, null);
    List<String> refused = new ArrayList<>();
    int asked = 0;
    for (Class<?> own : List.of(AirlockRuntime.class, ToolCandidates.class)) {
      for (Map.Entry<String, byte[]> type : classFiles(own).entrySet()) {
        String name = type.getKey();
        if (ToolCandidates.ignored(name.replace('/', '.'))
            && candidates.skippedMayHoldTools(loader, name, type.getValue())) {
          asked++;
          if (transformer.transform(null, loader, name, null, null, type.getValue()) != null) {
            refused.add(name);
          }
        }
      }
    }
    assertThat(asked).as("classes naming @Airlock's type are asked").isPositive();
    assertThat(refused).isEmpty();
    byte[] warmUp = classFiles(AirlockRuntime.class).get(HOST_WARM_UP);
    assertThat(transformer.transform(null, loader, HOST_WARM_UP, null, null, warmUp)).as("it carries @Airlock")
        .isNotNull();
  }

  /** The class files of the module {@code type} was loaded from (its classes folder or jar), by internal name. */
  private static Map<String, byte[]> classFiles(Class<?> type) throws IOException {
    Path location;
    try {
      location = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
    Map<String, byte[]> files = new HashMap<>();
    try (FileSystem jar = Files.isDirectory(location) ? null : FileSystems.newFileSystem(location)) {
      Path root = jar == null ? location : jar.getPath("/");
      try (Stream<Path> paths = Files.walk(root)) {
        for (Path path : paths.filter(p -> p.toString().endsWith(".class")).toList()) {
          String name = root.relativize(path).toString().replace('\\', '/');
          files.put(name.substring(0, name.length() - ".class".length()), Files.readAllBytes(path));
        }
      }
    }
    return files;
  }

  /** What it cannot tell goes to Byte Buddy: a malformed class file, and a supertype no loader can find. */
  @Test
  void whatCannotBeReadIsACandidate() throws IOException {
    assertThat(candidates.mayHoldTools(loader, "com/example/Broken", new byte[] {(byte) 0xca, (byte) 0xfe, 0, 0, 0,
        0, 0, 61, 0, 5, 99})).isTrue();
    byte[] plain = bytes(AgentApp.class);
    byte[] missingSuper = replace(plain, "java/lang/Object", "com/example/Objec");
    assertThat(new ToolCandidates().mayHoldTools(loader, "com/example/agentapp/AgentApp", missingSuper)).isTrue();
  }

  private static String internalName(Class<?> type) {
    return type.getName().replace('.', '/');
  }

  private static byte[] bytes(Class<?> type) throws IOException {
    try (InputStream in = type.getClassLoader().getResourceAsStream(internalName(type) + ".class")) {
      return in.readAllBytes();
    }
  }

  /** {@code bytes} with the UTF-8 constant {@code from} replaced by {@code to} (shorter), its length rewritten. */
  private static byte[] replace(byte[] bytes, String from, String to) {
    byte[] f = from.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    for (int i = 2; i + f.length <= bytes.length; i++) {
      if (java.util.Arrays.equals(bytes, i, i + f.length, f, 0, f.length) && bytes[i - 2] == 0
          && bytes[i - 1] == f.length && bytes[i - 3] == 1) {
        byte[] t = to.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] out = new byte[bytes.length - f.length + t.length];
        System.arraycopy(bytes, 0, out, 0, i - 2);
        out[i - 2] = 0;
        out[i - 1] = (byte) t.length;
        System.arraycopy(t, 0, out, i, t.length);
        System.arraycopy(bytes, i + f.length, out, i + t.length, bytes.length - i - f.length);
        return out;
      }
    }
    throw new IllegalStateException(from + " is not a constant of the class file");
  }
}
