package dev.airlock.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.agentapp.AgentApp;
import com.example.agentapp.ApprovalApp;
import com.example.agentapp.FinalImplementation;
import com.example.agentapp.LambdaTools;
import com.example.agentapp.NativeTools;
import com.example.agentapp.ToolShapes;
import com.example.inherited.InheritedTools;
import dev.airlock.AirlockException;
import dev.airlock.internal.intercept.EffectiveAirlock;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;

/**
 * The rewriting on real class files: it instruments exactly the methods the core's rule governs, the classes it
 * writes pass the JVM's verifier and run through the interceptor with every argument and return shape, and it never
 * loads a class nor lets one it cannot tell about be defined.
 */
class ToolTransformerTest {
  private static final List<Class<?>> FIXTURES = fixtures();
  private final ToolTransformer transformer = ToolTransformer.make(new ToolCandidates(), null);

  private static List<Class<?>> fixtures() {
    List<Class<?>> out = new ArrayList<>(List.of(AgentApp.class, AgentApp.Tools.class, ApprovalApp.class,
        ApprovalApp.Tools.class, InheritedTools.class, ToolShapes.class));
    out.addAll(List.of(InheritedTools.class.getDeclaredClasses()));
    out.addAll(List.of(ToolShapes.class.getDeclaredClasses()));
    return out;
  }

  @Test
  void instrumentsExactlyTheMethodsTheCoresRuleGoverns() throws IOException {
    int tools = 0;
    for (Class<?> type : FIXTURES) {
      byte[] rewritten = transformer.transform(null, type.getClassLoader(), internalName(type), null, null,
          bytes(type));
      Set<String> governed = new TreeSet<>();
      for (Method m : type.getDeclaredMethods()) {
        if (!m.isBridge() && !Modifier.isAbstract(m.getModifiers()) && EffectiveAirlock.governs(type, m)) {
          governed.add(m.getName() + descriptor(m));
        }
      }
      for (Method m : inherited(type)) {
        // Governed for this class but not for its superclass, whose rewriting does not intercept it.
        if (EffectiveAirlock.governs(type, m) && !EffectiveAirlock.governs(type.getSuperclass(), m)) {
          governed.add(m.getName() + descriptor(m));
        }
      }
      assertThat(rewritten == null ? Set.of() : intercepted(rewritten)).as(type.getName()).isEqualTo(governed);
      tools += governed.size();
    }
    assertThat(tools).as("the fixtures hold tools of every shape").isGreaterThan(25);
  }

  @Test
  void rewrittenClassesPassTheVerifierAndRunThroughTheInterceptor() throws Throwable {
    Map<String, byte[]> rewritten = new HashMap<>();
    for (Class<?> type : FIXTURES) {
      byte[] out = transformer.transform(null, type.getClassLoader(), internalName(type), null, null, bytes(type));
      rewritten.put(type.getName(), out != null ? out : bytes(type));
    }
    ClassLoader loader = definingLoader(rewritten);
    for (Class<?> type : FIXTURES) {
      // Initialising links the class: the verifier checks every method, the rewritten ones included.
      Class.forName(type.getName(), true, loader);
    }
    Class<?> primitives = Class.forName(ToolShapes.Primitives.class.getName(), true, loader);
    Object tool = primitives.getConstructor().newInstance();
    assertThat(call(tool, "mix", true, 'a', (byte) 2, (short) 3, 4, 5L, 6.5f, 7.25d, new int[2],
        new String[] {"x"})).isEqualTo(1 + 97 + 2 + 3 + 4 + 5 + 6.5 + 7.25 + 2 + 1);
    assertThat(call(tool, "mix", false, 'a', (byte) 0, (short) 0, 7, 5L, 1.5f, 0d, new int[0], new String[0]))
        .isEqualTo(6.5d);
    assertThat(call(tool, "first", "")).isEqualTo('-');
    assertThat(call(tool, "first", "airlock")).isEqualTo('a');
    assertThat(call(tool, "flag")).isEqualTo(true);
    assertThat((byte[]) call(tool, "bytes", List.of("a", "b"))).containsExactly('a', ',', 'b');
    assertThat(call(tool, "ratio", 1f, 4f)).isEqualTo(0.25f);
    assertThat(call(tool, "small", (byte) -3)).isEqualTo((short) -3);
    assertThatThrownBy(() -> call(tool, "fail", "as if local")).isInstanceOf(IOException.class)
        .hasMessage("as if local");
  }

  /**
   * A superclass naming no {@code @Airlock} implements the subclass's required-sandbox interface method: the call
   * on the subclass goes through the interceptor (a sandbox, or a refusal without one), never the host. The
   * superclass is loaded unchanged, as one loaded before the agent would be.
   */
  @Test
  void anInheritedImplementationOfAToolNeverRunsOnTheHost() throws Throwable {
    Map<String, byte[]> rewritten = new HashMap<>();
    for (Class<?> type : List.of(ToolShapes.class, ToolShapes.RequiredTool.class,
        ToolShapes.GenericRequiredTool.class, ToolShapes.PlainImplementation.class, ToolShapes.Middle.class,
        ToolShapes.InheritsImplementation.class, ToolShapes.InheritsGenerically.class,
        ToolShapes.BelowInterception.class, ToolShapes.HostTool.class, ToolShapes.InheritsHostTool.class)) {
      byte[] out = transformer.transform(null, type.getClassLoader(), internalName(type), null, null, bytes(type));
      rewritten.put(type.getName(), out != null ? out : bytes(type));
    }
    assertThat(transformer.transform(null, getClass().getClassLoader(),
        internalName(ToolShapes.PlainImplementation.class), null, null, bytes(ToolShapes.PlainImplementation.class)))
        .as("the superclass alone holds no tool").isNull();
    ClassLoader loader = definingLoader(rewritten);
    Class<?> plain = Class.forName(ToolShapes.PlainImplementation.class.getName(), true, loader);
    for (Class<?> type : List.of(ToolShapes.InheritsImplementation.class, ToolShapes.InheritsGenerically.class,
        ToolShapes.BelowInterception.class)) {
      Object tool = Class.forName(type.getName(), true, loader).getConstructor().newInstance();
      for (Object[] call : List.of(new Object[] {"run", "x"}, new Object[] {"sum", 1, 2L, 3d})) {
        if (call[0].equals("sum") && type != ToolShapes.InheritsGenerically.class) {
          continue;
        }
        try {
          Object result = call(tool, (String) call[0], Arrays.copyOfRange(call, 1, call.length));
          assertThat(result).as(type.getSimpleName()).isIn("ran x", 6L);
        } catch (AirlockException refused) {
          // No sandbox here: a required one refuses the call.
        }
        assertThat(plain.getField("hostRuns").getInt(null)).as(type.getSimpleName() + "." + call[0] + " on the host")
            .isZero();
      }
    }
    Object hostTool = Class.forName(ToolShapes.InheritsHostTool.class.getName(), true, loader).getConstructor()
        .newInstance();
    assertThat(call(hostTool, "run", "h")).isEqualTo("ran h");
    assertThat(plain.getField("hostRuns").getInt(null)).as("proceeding locally runs the inherited body once").isOne();
    Object plainTool = plain.getConstructor().newInstance();
    assertThat(call(plainTool, "run", "y")).isEqualTo("ran y");
    assertThat(plain.getField("hostRuns").getInt(null)).as("the superclass's own calls are not tools").isEqualTo(2);
  }

  /**
   * A default method of a plain interface, inherited through a superclass, implements the subclass's tool method:
   * neither declaring type names {@code @Airlock}, so only an override in the subclass intercepts it. Without one,
   * {@code new InheritsDefault().run(x)} ran on the host although the sandbox is required.
   */
  @Test
  void anInheritedDefaultMethodImplementingAToolNeverRunsOnTheHost() throws Throwable {
    Map<String, byte[]> rewritten = new HashMap<>();
    for (Class<?> type : List.of(ToolShapes.PlainDefault.class, ToolShapes.DefaultBase.class,
        ToolShapes.RequiredTool.class, ToolShapes.HostTool.class)) {
      byte[] out = transformer.transform(null, type.getClassLoader(), internalName(type), null, null, bytes(type));
      rewritten.put(type.getName(), out != null ? out : bytes(type));
    }
    String required = "com.example.agentapp.InheritsDefault";
    String host = "com.example.agentapp.InheritsHostDefault";
    for (String[] made : List.of(new String[] {required, ToolShapes.RequiredTool.class.getName()},
        new String[] {host, ToolShapes.HostTool.class.getName()})) {
      byte[] bytes = subclass(made[0], ToolShapes.DefaultBase.class.getName(), made[1]);
      byte[] out = transformer.transform(null, getClass().getClassLoader(), made[0].replace('.', '/'), null, null,
          bytes);
      assertThat(out).as(made[0] + " rewritten").isNotNull();
      rewritten.put(made[0], out);
    }
    ClassLoader loader = definingLoader(rewritten);
    Object runs = Class.forName(ToolShapes.PlainDefault.class.getName(), true, loader).getField("HOST_RUNS")
        .get(null);
    Object tool = Class.forName(required, true, loader).getConstructor().newInstance();
    try {
      call(tool, "run", "x");
    } catch (AirlockException refused) {
      // No sandbox here: a required one refuses the call.
    }
    assertThat(runs).as("the default method on the host").hasToString("0");
    Object hostTool = Class.forName(host, true, loader).getConstructor().newInstance();
    assertThat(call(hostTool, "run", "h")).isEqualTo("ran h");
    assertThat(runs).as("proceeding locally runs the default body once").hasToString("1");
  }

  /**
   * A lambda or method reference of a tool interface is implemented by a hidden class, which the JVM never hands to
   * a transformer: its calls ran on the host although the sandbox is required. The class that makes it is refused
   * (the filter passes it although it names no {@code @Airlock}); a lambda of a plain interface is left alone.
   */
  @Test
  void aClassImplementingAToolWithALambdaIsRefused() throws Exception {
    assertThat(LambdaTools.Lambda.make().getClass().isHidden()).as("what no transformer sees").isTrue();
    ToolClassFilter filter = new ToolClassFilter("installed", null);
    filter.buildInBackground(() -> { });
    for (Class<?> maker : List.of(LambdaTools.Lambda.class, LambdaTools.Reference.class, LambdaTools.Marked.class)) {
      assertRefused(filter.transform(null, maker.getClassLoader(), internalName(maker), null, null, bytes(maker)));
      assertThatThrownBy(() -> transformer.transform(null, maker.getClassLoader(), internalName(maker), null, null,
          bytes(maker))).hasMessageContaining("hidden class");
    }
    Class<?> plain = LambdaTools.Plain.class;
    assertThat(filter.transform(null, plain.getClassLoader(), internalName(plain), null, null, bytes(plain)))
        .isNull();
  }

  /**
   * Another agent (Mockito inline, OpenTelemetry) retransforming a class that was defined with an intercepting
   * override of an inherited method: the rewriting, handed the original class file again, must write the same
   * methods, or the JVM rejects the retransformation (a method deleted) and that agent fails on the class. A class
   * loaded before the agent gets none, so none is added on its retransformation.
   */
  @Test
  void retransformingAClassKeepsItsInheritedOverrides() throws IOException {
    Class<?> sub = ToolShapes.InheritsImplementation.class;
    String run = "run(Ljava/lang/String;)Ljava/lang/String;";
    byte[] defined = transformer.transform(null, sub.getClassLoader(), internalName(sub), null, null, bytes(sub));
    assertThat(intercepted(defined)).containsExactly(run);
    byte[] again = transformer.transform(null, sub.getClassLoader(), internalName(sub), sub, null, bytes(sub));
    assertThat(again).as("retransformed by another agent").isNotNull();
    assertThat(intercepted(again)).containsExactly(run);
    ToolTransformer attached = ToolTransformer.make(new ToolCandidates(), null);
    assertThat(attached.transform(null, sub.getClassLoader(), internalName(sub), sub, null, bytes(sub)))
        .as("loaded before the agent: retransformation cannot add the override").isNull();
  }

  /** An inherited implementation the subclass cannot override (final) is refused, not defined unintercepted. */
  @Test
  void anInheritedFinalImplementationOfAToolIsRefused() {
    Class<?> sub = FinalImplementation.Inherits.class;
    assertThatThrownBy(() -> transformer.transform(null, sub.getClassLoader(), internalName(sub), null, null,
        bytes(sub))).hasMessageContaining("cannot override").hasMessageContaining("FinalImplementation.run");
  }

  /** Reading the hierarchy through the loader only reads class files: no class is loaded, no application code runs. */
  @Test
  void rewritingLoadsNoClass() throws IOException {
    List<String> loaded = new ArrayList<>();
    ClassLoader recording = new ClassLoader(null) {
      @Override
      protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        loaded.add(name);
        throw new ClassNotFoundException(name);
      }

      @Override
      public URL getResource(String name) {
        return ToolTransformerTest.class.getClassLoader().getResource(name);
      }
    };
    Class<?> sub = ToolShapes.OverrideWithoutBridge.class;
    byte[] rewritten = transformer.transform(null, recording, internalName(sub), null, null, bytes(sub));
    assertThat(intercepted(rewritten)).containsExactly("viaGeneric(Ljava/lang/String;)Ljava/lang/String;");
    assertThat(loaded).isEmpty();
  }

  /** A supertype whose class file cannot be read, and that the filter has not seen: the class is refused. */
  @Test
  void aClassWhoseSupertypeCannotBeReadIsRefused() throws Exception {
    ClassLoader blind = new ClassLoader(null) {
      @Override
      public URL getResource(String name) {
        return name.contains("BridgeInSuperclass") ? null : ToolTransformerTest.class.getClassLoader()
            .getResource(name);
      }
    };
    Class<?> sub = ToolShapes.OverrideWithoutBridge.class;
    assertThatThrownBy(() -> transformer.transform(null, blind, internalName(sub), null, null, bytes(sub)))
        .hasMessageContaining("BridgeInSuperclass").hasMessageContaining("cannot be read");
    ToolClassFilter filter = new ToolClassFilter("installed", null);
    filter.buildInBackground(() -> { });
    assertRefused(filter.transform(null, blind, internalName(sub), null, null, bytes(sub)));
  }

  /**
   * A class whose superclass was generated at run time (no class file to read) in a parent loader, and seen by the
   * filter there to hold no tool: what the agent knows of it holds in the child loader too. The child class, which
   * has nothing to do with {@code @Airlock}, was refused (ClassFormatError); a generated tool class above it still
   * shapes the rewriting there.
   */
  @Test
  void aSupertypeGeneratedInAParentLoaderIsKnownInItsChildren() throws Exception {
    ClassLoader parent = new ClassLoader(getClass().getClassLoader()) {
    };
    ClassLoader child = new ClassLoader(parent) {
    };
    ToolClassFilter filter = new ToolClassFilter("installed", null);
    filter.buildInBackground(() -> { });
    assertThat(filter.transform(null, parent, "gen/Generated", null, null, subclass("gen.Generated",
        Object.class.getName()))).isNull();
    assertThat(filter.transform(null, child, "gen/Child", null, null, subclass("gen.Child", "gen.Generated")))
        .as("a plain class below a generated plain class").isNull();
    byte[] tool = transformer.transform(null, parent, "gen/GeneratedTool", null, null, subclass("gen.GeneratedTool",
        ToolShapes.PlainImplementation.class.getName(), ToolShapes.RequiredTool.class.getName()));
    assertThat(intercepted(tool)).containsExactly("run(Ljava/lang/String;)Ljava/lang/String;");
    assertThat(transformer.transform(null, child, "gen/BelowTool", null, null, subclass("gen.BelowTool",
        "gen.GeneratedTool"))).as("intercepted above it already").isNull();
  }

  /**
   * A native method the rule governs has no code to put the interception in front of: it ran on the host with the
   * sandbox required. Its class is refused; a native method the rule leaves alone (private) is not a reason to.
   */
  @Test
  void aClassWithAGovernedNativeMethodIsRefused() {
    for (Class<?> type : List.of(NativeTools.Annotated.class, NativeTools.ClassLevel.class)) {
      assertThatThrownBy(() -> transformer.transform(null, type.getClassLoader(), internalName(type), null, null,
          bytes(type))).as(type.getSimpleName()).hasMessageContaining("native")
          .hasMessageContaining("run(Ljava/lang/String;)Ljava/lang/String;").hasMessageNotContaining("helper");
    }
  }

  /** A tool class compiled for Java 1.4 or older cannot name its class as a constant: refused, not left as it is. */
  @Test
  void aToolClassTooOldForTheInterceptionIsRefused() throws IOException {
    Class<?> tool = ToolShapes.Mixed.class;
    byte[] old = bytes(tool);
    old[7] = 48;
    assertThatThrownBy(() -> transformer.transform(null, tool.getClassLoader(), internalName(tool), null, null, old))
        .hasMessageContaining("recompile");
  }

  /**
   * What the filter answered makes defining the class fail: an empty answer did not, the JVM takes it for "no change"
   * ({@code AgentIT} shows it in a real JVM).
   */
  private static void assertRefused(byte[] answer) {
    assertThat(answer).isNotEmpty();
    assertThatThrownBy(() -> new Definer().define(answer)).isInstanceOf(ClassFormatError.class);
  }

  private static final class Definer extends ClassLoader {
    Definer() {
      super(null);
    }

    Class<?> define(byte[] classFile) {
      return defineClass(null, classFile, 0, classFile.length);
    }
  }

  /** {@code public class name extends superclass implements interfaces {}}, with its constructor, as a class file. */
  private static byte[] subclass(String name, String superclass, String... interfaces) {
    ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_MAXS);
    String parent = superclass.replace('.', '/');
    writer.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name.replace('.', '/'), null, parent,
        Arrays.stream(interfaces).map(type -> type.replace('.', '/')).toArray(String[]::new));
    MethodVisitor init = writer.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
    init.visitCode();
    init.visitVarInsn(Opcodes.ALOAD, 0);
    init.visitMethodInsn(Opcodes.INVOKESPECIAL, parent, "<init>", "()V", false);
    init.visitInsn(Opcodes.RETURN);
    init.visitMaxs(0, 0);
    init.visitEnd();
    writer.visitEnd();
    return writer.toByteArray();
  }

  /** A loader that defines the classes named in {@code classes} from their bytes, child first. */
  private ClassLoader definingLoader(Map<String, byte[]> classes) {
    return new DefiningLoader(getClass().getClassLoader(), classes);
  }

  /** The overridable methods {@code type} inherits from a superclass and does not declare, each its nearest. */
  private static List<Method> inherited(Class<?> type) {
    List<Method> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Method m : type.getDeclaredMethods()) {
      seen.add(m.getName() + descriptor(m));
    }
    List<Class<?>> interfaces = new ArrayList<>();
    for (Class<?> s = type.getSuperclass(); s != null && s != Object.class; s = s.getSuperclass()) {
      for (Method m : s.getDeclaredMethods()) {
        int modifiers = m.getModifiers();
        if (!Modifier.isStatic(modifiers) && !Modifier.isPrivate(modifiers) && seen.add(m.getName() + descriptor(m))
            && !m.isBridge() && !Modifier.isAbstract(modifiers)) {
          out.add(m);
        }
      }
      interfaces.addAll(List.of(s.getInterfaces()));
    }
    // A class's method wins over an interface's default; a default inherited through the superclass comes next.
    for (int i = 0; i < interfaces.size(); i++) {
      for (Method m : interfaces.get(i).getDeclaredMethods()) {
        if (m.isDefault() && seen.add(m.getName() + descriptor(m))) {
          out.add(m);
        }
      }
      interfaces.addAll(List.of(interfaces.get(i).getInterfaces()));
    }
    return out;
  }

  private static Object call(Object tool, String name, Object... args) throws Throwable {
    for (Method m : tool.getClass().getMethods()) {
      if (m.getName().equals(name) && m.getParameterCount() == args.length) {
        try {
          return m.invoke(tool, args);
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
      }
    }
    throw new AssertionError(name + Arrays.toString(args));
  }

  /** The methods of a class file whose code calls AgentDispatch.enter. */
  private static Set<String> intercepted(byte[] classFile) {
    Set<String> out = new TreeSet<>();
    new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
          String[] exceptions) {
        return new MethodVisitor(Opcodes.ASM9) {
          @Override
          public void visitMethodInsn(int opcode, String owner, String called, String calledDescriptor,
              boolean isInterface) {
            if (owner.equals("dev/airlock/agent/AgentDispatch") && called.equals("enter")) {
              out.add(name + descriptor);
            }
          }
        };
      }
    }, 0);
    return out;
  }

  private static String descriptor(Method m) {
    StringBuilder out = new StringBuilder("(");
    for (Class<?> p : m.getParameterTypes()) {
      out.append(p.descriptorString());
    }
    return out.append(')').append(m.getReturnType().descriptorString()).toString();
  }

  private static String internalName(Class<?> type) {
    return type.getName().replace('.', '/');
  }

  private static byte[] bytes(Class<?> type) throws IOException {
    try (InputStream in = type.getClassLoader().getResourceAsStream(internalName(type) + ".class")) {
      return in.readAllBytes();
    }
  }
}
