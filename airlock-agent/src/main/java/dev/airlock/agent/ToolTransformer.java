package dev.airlock.agent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.ClassFileTransformer;
import java.nio.charset.StandardCharsets;
import java.security.ProtectionDomain;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * The rewriting of a class that {@link ToolClassFilter} hands over: every method an {@code @Airlock} governs gets
 * {@link InterceptPrologue} in front of its code. Written directly against the ASM that Byte Buddy ships: Byte
 * Buddy's type pool, method graph and advice cost 2.5-3.5 ms of CPU per tool class (interpreted, since each class
 * is rewritten once), this about a tenth of it, and its build at start-up is the loading of a few ASM classes.
 *
 * <p>The rule is the core's ({@code EffectiveAirlock}), on class files: a method with a body is a tool when
 * <ol>
 *   <li>it carries the annotation;</li>
 *   <li>or it is overridable and a type of its class's hierarchy declares an annotated overridable method of its
 *       name and erased parameters, or of the erased parameters of a bridge (anywhere in that hierarchy) that calls
 *       it: so {@code run(String)} implementing {@code Tool<String>.run(T)}, reached through {@code run(Object)};</li>
 *   <li>or it is a public instance method, neither synthetic nor {@code equals}, {@code hashCode} or
 *       {@code toString}, and a type of its class's hierarchy carries the annotation.</li>
 * </ol>
 * Bridges, constructors and initializers are left alone (a bridge calls the method it bridges to). The hierarchy's
 * class files are read through the loader that loads the class, never loaded, and described once per loader; the
 * JDK's types are left out (they never carry {@code @Airlock}). What cannot be told (a supertype whose class file
 * no one can read and that the filter has not seen) refuses the class: no tool class is defined without its
 * interception.
 */
final class ToolTransformer implements ClassFileTransformer {
  /**
   * A class made at run time from {@link WarmUpSample}'s class file, never defined: its name is outside the agent's
   * own package (which is never instrumented) and its marker annotation becomes {@code @Airlock} (same lengths).
   */
  static final String WARM_UP_CLASS = "airlock/warm/up/x/WarmUpSample";
  private static final Set<String> OBJECT_METHODS = Set.of("equals", "hashCode", "toString");
  private static final TypeShape UNKNOWN = new TypeShape("", false, List.of(), List.of());
  private static final TypeShape FREE = new TypeShape("", false, List.of(), List.of());

  private final ToolCandidates candidates;
  /** Every type described, per loader that resolved its name. */
  private final PerLoader<TypeShape> shapes = new PerLoader<>();

  private ToolTransformer(ToolCandidates candidates) {
    this.candidates = candidates;
  }

  /**
   * The transformer, after one rewriting of a made-up tool class, so that the first real tool class does not pay
   * for loading ASM's classes and the rewriting's first run.
   */
  static ToolTransformer make(ToolCandidates candidates) {
    ToolTransformer transformer = new ToolTransformer(candidates);
    transformer.warmUp();
    return transformer;
  }

  /**
   * The class rewritten, or null when it declares no tool. Throws when it cannot tell: the filter then refuses the
   * class rather than define it unintercepted.
   */
  @Override
  public byte[] transform(Module module, ClassLoader loader, String internalName, Class<?> redefined,
      ProtectionDomain domain, byte[] bytes) {
    TypeShape type = TypeShape.of(bytes, ToolCandidates.ANNOTATION_DESCRIPTOR);
    shapes.of(loader).put(type.name(), type);
    Set<String> tools = tools(type, loader);
    if (tools.isEmpty()) {
      return null;
    }
    ClassReader reader = new ClassReader(bytes);
    int version = reader.readShort(6) & 0xffff;
    if (version < Opcodes.V1_5) {
      throw new IllegalStateException("class file version " + version + " has no class constants, which the "
          + "interception needs; recompile " + type.name() + " for Java 5 or later");
    }
    ClassWriter writer = new ClassWriter(reader, 0);
    reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
          String[] exceptions) {
        MethodVisitor next = super.visitMethod(access, name, descriptor, signature, exceptions);
        return tools.contains(name + descriptor) ? new InterceptPrologue(next, internalName, access, name, descriptor,
            version >= Opcodes.V1_6) : next;
      }
    }, 0);
    if (!internalName.equals(WARM_UP_CLASS)) {
      AgentLog.debug("Airlock agent instrumented " + type.name());
    }
    return writer.toByteArray();
  }

  /** The {@code name + descriptor} of every method of {@code type} that the rule makes a tool. */
  private Set<String> tools(TypeShape type, ClassLoader loader) {
    List<TypeShape> hierarchy = hierarchy(type, loader);
    boolean typeAnnotated = false;
    for (TypeShape t : hierarchy) {
      typeAnnotated |= t.annotated();
    }
    Set<String> tools = new HashSet<>();
    for (TypeShape.Member method : type.methods()) {
      if (method.is(Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE | Opcodes.ACC_BRIDGE) || method.name().charAt(0) == '<') {
        continue;
      }
      if (method.annotated() || method.virtual() && (overridesAnnotated(method, hierarchy)
          || typeAnnotated && method.is(Opcodes.ACC_PUBLIC) && !method.is(Opcodes.ACC_SYNTHETIC)
              && !OBJECT_METHODS.contains(method.name()))) {
        tools.add(method.name() + method.descriptor());
      }
    }
    return tools;
  }

  private static boolean overridesAnnotated(TypeShape.Member method, List<TypeShape> hierarchy) {
    Set<String> parameters = new HashSet<>();
    parameters.add(method.parameters());
    String self = method.name() + method.descriptor();
    for (TypeShape t : hierarchy) {
      for (TypeShape.Member bridge : t.methods()) {
        if (self.equals(bridge.bridged())) {
          parameters.add(bridge.parameters());
        }
      }
    }
    for (TypeShape t : hierarchy) {
      for (TypeShape.Member declared : t.methods()) {
        if (declared.annotated() && declared.virtual() && !declared.is(Opcodes.ACC_BRIDGE)
            && declared.name().equals(method.name()) && parameters.contains(declared.parameters())) {
          return true;
        }
      }
    }
    return false;
  }

  /** {@code type} and its supertypes, each once, the JDK's left out. */
  private List<TypeShape> hierarchy(TypeShape type, ClassLoader loader) {
    List<TypeShape> out = new ArrayList<>();
    out.add(type);
    Set<String> seen = new HashSet<>();
    seen.add(type.name());
    Deque<String> pending = new ArrayDeque<>(type.supertypes());
    while (!pending.isEmpty()) {
      String name = pending.pop();
      if (ToolCandidates.neverTool(name) || !seen.add(name)) {
        continue;
      }
      TypeShape shape = shape(loader, name);
      if (shape == UNKNOWN) {
        throw new IllegalStateException("the class file of " + name + ", a supertype of " + type.name()
            + ", cannot be read through " + loader + ", so which of its methods are @Airlock tools cannot be told; "
            + "make it readable as a resource of that loader");
      }
      out.add(shape);
      pending.addAll(shape.supertypes());
    }
    return out;
  }

  /**
   * The shape of a supertype: described before, else read through the loader; {@link #FREE} (nothing to find)
   * when the filter saw it hold no tool and none of its supertypes either; else {@link #UNKNOWN}.
   */
  private TypeShape shape(ClassLoader loader, String name) {
    Map<String, TypeShape> known = shapes.of(loader);
    TypeShape shape = known.get(name);
    if (shape != null) {
      return shape;
    }
    ClassLoader reader = loader != null ? loader : ClassLoader.getSystemClassLoader();
    try (InputStream in = reader.getResourceAsStream(name.replace('.', '/') + ".class")) {
      if (in != null) {
        shape = TypeShape.of(in.readAllBytes(), ToolCandidates.ANNOTATION_DESCRIPTOR);
      }
    } catch (IOException | RuntimeException e) {
      shape = null;
    }
    if (shape == null) {
      return candidates.knownFree(loader, name) ? FREE : UNKNOWN;
    }
    known.put(name, shape);
    return shape;
  }

  /**
   * Rewrites the made-up tool class, as the system class loader would see it, on the agent's own thread; the result
   * is dropped.
   */
  private void warmUp() {
    ClassLoader system = ClassLoader.getSystemClassLoader();
    try (InputStream in = WarmUpSample.class.getResourceAsStream("WarmUpSample.class")) {
      byte[] bytes = replace(replace(in.readAllBytes(), WarmUpSample.MARKER, ToolCandidates.ANNOTATION_DESCRIPTOR),
          WarmUpSample.class.getName().replace('.', '/'), WARM_UP_CLASS);
      transform(system.getUnnamedModule(), system, WARM_UP_CLASS, null, null, bytes);
      shapes.of(system).remove(WARM_UP_CLASS.replace('/', '.'));
    } catch (IOException | RuntimeException e) {
      AgentLog.warn("Airlock agent: warm-up rewriting failed; the first tool class pays ASM's first use", e);
    }
  }

  /** {@code bytes} with every occurrence of {@code from} replaced by {@code to}, of the same length. */
  private static byte[] replace(byte[] bytes, String from, String to) {
    byte[] f = from.getBytes(StandardCharsets.US_ASCII);
    byte[] t = to.getBytes(StandardCharsets.US_ASCII);
    if (f.length != t.length) {
      throw new IllegalStateException(from + " and " + to + " differ in length");
    }
    for (int i = 0; i + f.length <= bytes.length; i++) {
      int j = 0;
      while (j < f.length && bytes[i + j] == f[j]) {
        j++;
      }
      if (j == f.length) {
        System.arraycopy(t, 0, bytes, i, t.length);
      }
    }
    return bytes;
  }
}
