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
import net.bytebuddy.jar.asm.Type;

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
 * Bridges, constructors and initializers are left alone (a bridge calls the method it bridges to). A method the
 * class inherits from a superclass and that the rule governs for this class but not for its superclass (a
 * superclass's {@code run()} implementing this class's {@code @Airlock} interface method) gets an override here,
 * the prologue followed by {@code invokespecial} of the inherited method: the superclass's rewriting cannot know
 * about it, and the call would otherwise run on the host. The hierarchy's
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
  private static final TypeShape UNKNOWN = new TypeShape("", 0, null, false, List.of(), List.of());
  private static final TypeShape FREE = new TypeShape("", 0, null, false, List.of(), List.of());

  private final ToolCandidates candidates;
  /** Told of each tool class defined, or null (tests that define nothing). */
  private final ToolPreparation preparation;
  /** Every type described, per loader that resolved its name. */
  private final PerLoader<TypeShape> shapes = new PerLoader<>();
  /** The overrides of inherited methods each class was defined with, which its retransformations must write again. */
  private final PerLoader<List<Inherited>> definedOverrides = new PerLoader<>();
  /**
   * Whether each class was defined with its synchronized tool methods unflagged ({@link InterceptPrologue} locks in
   * their code instead): its retransformations must write them so again, since a retransformation cannot change a
   * method's modifiers; a class loaded before the agent keeps its flags.
   */
  private final PerLoader<Boolean> definedUnlocked = new PerLoader<>();

  private ToolTransformer(ToolCandidates candidates, ToolPreparation preparation) {
    this.candidates = candidates;
    this.preparation = preparation;
  }

  /**
   * The transformer, after one rewriting of a made-up tool class, so that the first real tool class does not pay
   * for loading ASM's classes and the rewriting's first run.
   */
  static ToolTransformer make(ToolCandidates candidates, ToolPreparation preparation) {
    ToolTransformer transformer = new ToolTransformer(candidates, preparation);
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
    List<TypeShape> hierarchy = hierarchy(type, loader);
    refuseToolsMadeAtRunTime(type, bytes, loader);
    Set<String> tools = tools(type, hierarchy);
    List<Inherited> inherited = inheritedOverrides(type, inherited(type, hierarchy, loader), loader, redefined);
    if (tools.isEmpty() && inherited.isEmpty()) {
      return null;
    }
    ClassReader reader = new ClassReader(bytes);
    int version = reader.readShort(6) & 0xffff;
    if (version < Opcodes.V1_5) {
      throw new IllegalStateException("class file version " + version + " has no class constants, which the "
          + "interception needs; recompile " + type.name() + " for Java 5 or later");
    }
    boolean unlock = redefined == null || Boolean.TRUE.equals(definedUnlocked.of(loader).get(type.name()));
    if (redefined == null) {
      definedUnlocked.of(loader).put(type.name(), true);
    }
    ClassWriter writer = new ClassWriter(reader, 0);
    reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
          String[] exceptions) {
        if (!tools.contains(name + descriptor)) {
          return super.visitMethod(access, name, descriptor, signature, exceptions);
        }
        // A synchronized tool method takes its monitor after the prologue, not before: see InterceptPrologue.
        boolean locks = unlock && (access & Opcodes.ACC_SYNCHRONIZED) != 0;
        int written = locks ? access & ~Opcodes.ACC_SYNCHRONIZED : access;
        return new InterceptPrologue(super.visitMethod(written, name, descriptor, signature, exceptions),
            internalName, written, name, descriptor, version >= Opcodes.V1_6, locks);
      }

      @Override
      public void visitEnd() {
        for (Inherited method : inherited) {
          override(cv, internalName(type.superclass()), method, version >= Opcodes.V1_6);
        }
        super.visitEnd();
      }
    }, 0);
    if (!internalName.equals(WARM_UP_CLASS)) {
      AgentLog.debug("Airlock agent instrumented " + type.name());
      if (redefined == null && preparation != null && !tools.isEmpty()) {
        preparation.defined(loader, internalName, tools);
      }
    }
    return writer.toByteArray();
  }

  /**
   * The overrides of inherited methods to write: those found, when the class is being defined (remembered); when it
   * is retransformed, which can neither add methods nor delete them, those it was defined with (another agent
   * retransforming it, Mockito's or OpenTelemetry's, would fail otherwise), none for a class loaded before the agent.
   */
  private List<Inherited> inheritedOverrides(TypeShape type, List<Inherited> found, ClassLoader loader,
      Class<?> redefined) {
    Map<String, List<Inherited>> defined = definedOverrides.of(loader);
    if (redefined == null) {
      if (!found.isEmpty()) {
        defined.put(type.name(), found);
      }
      return found;
    }
    List<Inherited> kept = defined.getOrDefault(type.name(), List.of());
    if (!kept.containsAll(found)) {
      AgentLog.warn("Airlock agent cannot intercept " + found + " on " + type.name() + ", inherited and "
          + "governed by its @Airlock supertypes: it was loaded before the agent; start the JVM with -javaagent", null);
    }
    return kept;
  }

  /**
   * Throws when the class makes, with {@code invokedynamic} (a lambda, a method reference), an implementation of a
   * method its interface's hierarchy governs: the JVM defines that implementation as a hidden class, which is never
   * handed to a transformer, so the call would run on the host unintercepted. The interface is judged by the name of
   * the method made (its parameters are the bootstrap's to tell) and by an annotated type (the third rule).
   */
  private void refuseToolsMadeAtRunTime(TypeShape type, byte[] bytes, ClassLoader loader) {
    ToolCandidates.ClassFile file = ToolCandidates.ClassFile.parse(bytes);
    for (String made : file.functional()) {
      if (ToolCandidates.neverTool(made)) {
        continue;
      }
      TypeShape shape = shape(loader, made);
      if (shape == FREE) {
        continue;
      }
      if (shape == UNKNOWN) {
        throw new IllegalStateException("the class file of " + made + ", which " + type.name() + " implements with "
            + "a lambda or method reference, cannot be read through " + loader + ", so whether that implements an "
            + "@Airlock tool cannot be told; make it readable as a resource of that loader");
      }
      for (TypeShape t : hierarchy(shape, loader)) {
        boolean governs = t.annotated();
        for (TypeShape.Member method : t.methods()) {
          governs |= method.annotated() && method.virtual() && file.implemented().contains(method.name());
        }
        if (governs) {
          throw new IllegalStateException(type.name() + " implements " + made + ", governed by @Airlock (" + t.name()
              + "), with a lambda or method reference: the JVM defines it as a hidden class, which no agent can "
              + "instrument, so its calls would run on the host; implement " + made + " with a named class");
        }
      }
    }
  }

  /** The {@code name + descriptor} of every method of {@code type} that the rule makes a tool. */
  private static Set<String> tools(TypeShape type, List<TypeShape> hierarchy) {
    Set<String> tools = new HashSet<>();
    for (TypeShape.Member method : type.methods()) {
      if (method.is(Opcodes.ACC_ABSTRACT | Opcodes.ACC_BRIDGE) || method.name().charAt(0) == '<') {
        continue;
      }
      if (method.annotated() || method.virtual() && (overridesAnnotated(method, hierarchy)
          || governedByType(method, hierarchy))) {
        if (method.is(Opcodes.ACC_NATIVE)) {
          throw new IllegalStateException(type.name() + "." + method.name() + method.descriptor() + " is native and "
              + "governed by @Airlock: it has no code to put the interception in front of, so it would run on the "
              + "host; declare it in Java, calling a private native method");
        }
        tools.add(method.name() + method.descriptor());
      }
    }
    return tools;
  }

  /** The third rule: a public instance method, not one of Object's, of a class that a type of its hierarchy marks. */
  private static boolean governedByType(TypeShape.Member method, List<TypeShape> hierarchy) {
    if (!method.is(Opcodes.ACC_PUBLIC) || method.is(Opcodes.ACC_SYNTHETIC) || OBJECT_METHODS.contains(method.name())) {
      return false;
    }
    for (TypeShape t : hierarchy) {
      if (t.annotated()) {
        return true;
      }
    }
    return false;
  }

  /** A method a class inherits from its superclass {@code declarer} and must override to intercept. */
  private record Inherited(String declarer, TypeShape.Member method) {
    @Override
    public String toString() {
      return declarer + "." + method.name() + method.descriptor();
    }
  }

  /**
   * The methods {@code type} inherits from a superclass that the rule governs for {@code type} (through the second
   * rule: an annotated method of {@code type}'s hierarchy it implements) but not for its direct superclass, whose
   * rewriting, or a rewriting above it, intercepts them otherwise. Throws for one it cannot override (final, or
   * declared by a class it cannot name) and when a superclass's methods cannot be read.
   */
  private List<Inherited> inherited(TypeShape type, List<TypeShape> hierarchy, ClassLoader loader) {
    if (type.superclass() == null || ToolCandidates.neverTool(type.superclass())) {
      return List.of();
    }
    List<Inherited> out = new ArrayList<>();
    Set<String> overridden = new HashSet<>();
    Set<String> implemented = new HashSet<>();
    implemented(type, overridden, implemented);
    List<TypeShape> aboveHierarchy = null;
    for (String name = type.superclass(); name != null && !ToolCandidates.neverTool(name); ) {
      TypeShape superclass = shape(loader, name);
      if (superclass == FREE || superclass == UNKNOWN) {
        // Seen to hold no tool, but its methods are unknown: one of them may implement an annotated one.
        if (unimplemented(implemented, hierarchy)) {
          throw new IllegalStateException("the class file of " + name + ", a superclass of " + type.name()
              + ", cannot be read through " + loader + ", so which inherited methods are @Airlock tools cannot be "
              + "told; make it readable as a resource of that loader");
        }
        return out;
      }
      if (aboveHierarchy == null) {
        aboveHierarchy = hierarchy(superclass, loader);
      }
      implemented(superclass, new HashSet<>(), implemented);
      for (TypeShape.Member method : superclass.methods()) {
        if (!method.virtual() || !overridden.add(method.name() + method.descriptor())
            || method.is(Opcodes.ACC_ABSTRACT | Opcodes.ACC_BRIDGE) || method.annotated()
            || !overridesAnnotated(method, hierarchy) || overridesAnnotated(method, aboveHierarchy)
            || governedByType(method, hierarchy(superclass, loader))) {
          continue;
        }
        boolean packagePrivate = !method.is(Opcodes.ACC_PUBLIC | Opcodes.ACC_PROTECTED);
        if (packagePrivate && !samePackage(type.name(), superclass.name())) {
          continue; // not inherited: this class cannot override it, nor call it through an interface
        }
        if (method.is(Opcodes.ACC_FINAL) || (superclass.access() & Opcodes.ACC_PUBLIC) == 0
            && !samePackage(type.name(), superclass.name())) {
          throw new IllegalStateException(type.name() + " inherits " + superclass.name() + "." + method.name()
              + method.descriptor() + ", governed by @Airlock for it, which it cannot override to intercept (final, "
              + "or its class is not accessible); annotate that method or override it in " + type.name());
        }
        out.add(new Inherited(internalName(superclass.name()), method));
      }
      name = superclass.superclass();
    }
    inheritedDefaults(type, hierarchy, loader, overridden, out);
    return out;
  }

  /**
   * Adds to {@code out} the default methods {@code type} inherits (no class above it declares them) that the rule
   * governs for it but not for their own interface, which is then not rewritten to intercept them: one reached
   * through the superclass is overridden (its {@code invokespecial} resolves to the default), one reached only
   * through the class's own interfaces refuses the class. {@code overridden}: the methods classes declare.
   */
  private void inheritedDefaults(TypeShape type, List<TypeShape> hierarchy, ClassLoader loader,
      Set<String> overridden, List<Inherited> out) {
    Set<String> aboveSuperclass = new HashSet<>();
    for (TypeShape t : hierarchy(shape(loader, type.superclass()), loader)) {
      aboveSuperclass.add(t.name());
    }
    for (TypeShape iface : hierarchy) {
      if ((iface.access() & Opcodes.ACC_INTERFACE) == 0) {
        continue;
      }
      List<TypeShape> own = hierarchy(iface, loader);
      for (TypeShape.Member method : iface.methods()) {
        if (!method.virtual() || method.is(Opcodes.ACC_ABSTRACT | Opcodes.ACC_BRIDGE) || method.annotated()
            || !overridesAnnotated(method, hierarchy) || overridesAnnotated(method, own)
            || governedByType(method, own) || !overridden.add(method.name() + method.descriptor())) {
          continue;
        }
        if (!aboveSuperclass.contains(iface.name()) || (iface.access() & Opcodes.ACC_PUBLIC) == 0
            && !samePackage(type.name(), iface.name())) {
          throw new IllegalStateException(type.name() + " inherits the default method " + iface.name() + "."
              + method.name() + method.descriptor() + ", governed by @Airlock for it, which it cannot override to "
              + "intercept (not inherited through its superclass, or its interface is not accessible); annotate "
              + "that method or override it in " + type.name());
        }
        out.add(new Inherited(internalName(iface.name()), method));
      }
    }
  }

  /**
   * Adds the {@code name + descriptor} of {@code type}'s overridable methods to {@code overridable}, and the
   * {@code name + parameters} of those with a body to {@code implemented}.
   */
  private static void implemented(TypeShape type, Set<String> overridable, Set<String> implemented) {
    for (TypeShape.Member method : type.methods()) {
      if (method.virtual()) {
        overridable.add(method.name() + method.descriptor());
        if (!method.is(Opcodes.ACC_ABSTRACT)) {
          implemented.add(method.name() + method.parameters());
        }
      }
    }
  }

  /** Whether an annotated overridable method of the hierarchy has a name and parameters nothing read implements. */
  private static boolean unimplemented(Set<String> implemented, List<TypeShape> hierarchy) {
    for (TypeShape t : hierarchy) {
      for (TypeShape.Member method : t.methods()) {
        if (method.annotated() && method.virtual() && !implemented.contains(method.name() + method.parameters())) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean samePackage(String a, String b) {
    return a.substring(0, Math.max(0, a.lastIndexOf('.'))).equals(b.substring(0, Math.max(0, b.lastIndexOf('.'))));
  }

  private static String internalName(String binaryName) {
    return binaryName.replace('.', '/');
  }

  /**
   * Adds to the class being written an override of an inherited method: the prologue (naming the declaring class
   * and its method, which a worker resolves without the agent), then {@code invokespecial} of the superclass's
   * method. Its one frame is the prologue's; no local beyond the arguments.
   */
  private static void override(ClassVisitor writer, String superclass, Inherited inherited, boolean frames) {
    TypeShape.Member method = inherited.method();
    int access = method.access() & (Opcodes.ACC_PUBLIC | Opcodes.ACC_PROTECTED | Opcodes.ACC_VARARGS)
        | Opcodes.ACC_SYNTHETIC;
    MethodVisitor code = new InterceptPrologue(writer.visitMethod(access, method.name(), method.descriptor(), null,
        null), inherited.declarer(), access, method.name(), method.descriptor(), frames);
    code.visitCode();
    code.visitVarInsn(Opcodes.ALOAD, 0);
    Type type = Type.getMethodType(method.descriptor());
    int slot = 1;
    for (Type argument : type.getArgumentTypes()) {
      code.visitVarInsn(argument.getOpcode(Opcodes.ILOAD), slot);
      slot += argument.getSize();
    }
    code.visitMethodInsn(Opcodes.INVOKESPECIAL, superclass, method.name(), method.descriptor(), false);
    code.visitInsn(type.getReturnType().getOpcode(Opcodes.IRETURN));
    code.visitMaxs(Math.max(slot, type.getReturnType().getSize()), slot);
    code.visitEnd();
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
    if (shape == null && loader != null) {
      // Not a resource (generated at run time): described when an ancestor defined it.
      shape = shapes.inAncestors(loader, name);
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
