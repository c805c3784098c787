package dev.airlock.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which classes may hold a tool, told from class files alone with the JDK only, so the premain need not load Byte
 * Buddy (about 1,100 classes, 0.4-0.7 s before {@code main}) until the first such class appears. A class may hold
 * one when its constant pool names {@code @Airlock}'s type ({@code Ldev/airlock/annotation/Airlock;}, which every
 * annotation use on the class, a method or a parameter refers to) or one of its supertypes may hold one (the
 * inherited rules of {@link ToolTransformer}); a supertype's class file is read through the loader that loads the
 * class. A candidate goes to {@link ToolTransformer}, which applies the exact rule; a class file that cannot be read
 * or parsed is a candidate too, so this filter never decides that a class holds no tool when it cannot tell.
 */
final class ToolCandidates {
  /**
   * Never instrumented: the JDK, Byte Buddy, the OpenTelemetry agent and the packages of Airlock's own modules.
   * Not all of {@code dev.airlock.}: an application's classes there (Airlock's samples, a {@code dev.airlock.demo})
   * were left alone too, and their tools ran on the host unintercepted. A class here that carries {@code @Airlock}
   * anyway is refused ({@link #skippedMayHoldTools}). Byte Buddy's prefix is spelt in two: the shaded jar's
   * relocation rewrote the whole constant to the agent's own copy's package, so the agent shipped walked an
   * application's Byte Buddy (Mockito's) as application classes.
   */
  private static final List<String> IGNORED = List.of("java.", "javax.", "jdk.", "sun.", "com.sun.",
      "net.".concat("bytebuddy."), "io.opentelemetry.javaagent.", "dev.airlock.agent.", "dev.airlock.internal.",
      "dev.airlock.annotation.", "dev.airlock.aspectj.", "dev.airlock.spring.", "dev.airlock.mcp.", "dev.airlock.spi.");
  /** The package of Airlock's API ({@code AirlockRuntime}...), whose own classes are ignored, not its subpackages. */
  private static final String AIRLOCK_API = "dev.airlock.";
  /**
   * Types that never carry {@code @Airlock}, so no walk reads them: the JDK's, and the OpenTelemetry java agent's,
   * whose interfaces it adds to application classes and which live in a loader no one else can read from.
   */
  private static final List<String> NEVER_TOOLS = List.of("java.", "javax.", "jdk.", "sun.", "com.sun.",
      "io.opentelemetry.javaagent.");
  /**
   * Airlock's own class in an ignored package that carries {@code @Airlock}: the never-called sample tool the
   * interceptor's annotation look-up is warmed up with. Every other class there that carries it is refused.
   */
  private static final String OWN_TOOL = "dev/airlock/internal/intercept/HostWarmUp";
  /** What the platform loader defines is the JDK's, as what the bootstrap loader (null) defines. */
  private static final ClassLoader PLATFORM = ClassLoader.getPlatformClassLoader();
  /** {@code @Airlock}'s descriptor. String.concat, not +: the premain would bootstrap string concatenation. */
  static final String ANNOTATION_DESCRIPTOR = "L".concat(AirlockAgent.ANNOTATION.replace('.', '/')).concat(";");
  private static final byte[] DESCRIPTOR = ANNOTATION_DESCRIPTOR.getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ALT_METAFACTORY = "altMetafactory".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_DEPTH = 64;
  private static final String SPRING_PROXY = "org.springframework.aop.SpringProxy";
  private static final String SPRING_ADVISED = "org.springframework.aop.framework.Advised";
  private static final String CGLIB_FACTORY = "org.springframework.cglib.proxy.Factory";

  /** The verdict of every type seen, per loader that resolved its name. */
  private final PerLoader<Boolean> verdicts = new PerLoader<>();

  /** Whether the agent leaves the class of this binary name ({@code a.b.C}) alone whatever it declares. */
  static boolean ignored(String name) {
    for (String prefix : IGNORED) {
      if (name.startsWith(prefix)) {
        return true;
      }
    }
    return name.startsWith(AIRLOCK_API) && name.indexOf('.', AIRLOCK_API.length()) < 0;
  }

  /** Whether a type of this binary name can never carry {@code @Airlock}, so no walk needs to read it. */
  static boolean neverTool(String name) {
    for (String prefix : NEVER_TOOLS) {
      if (name.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the class {@code internalName} ({@code a/b/C}) being loaded by {@code loader} from {@code bytes} may. */
  boolean mayHoldTools(ClassLoader loader, String internalName, byte[] bytes) {
    String name = internalName.replace('/', '.');
    if (ignored(name)) {
      return false;
    }
    Map<String, Boolean> known = verdicts.of(loader);
    boolean verdict = verdict(loader, bytes, known, 0, false);
    known.put(name, verdict);
    return verdict;
  }

  /**
   * Whether the class {@code internalName}, which the agent leaves alone by name ({@link #ignored}), may hold a tool
   * nonetheless: an application's class in a package of the JDK's, Byte Buddy's or Airlock's own would run its tools
   * on the host unintercepted, so {@link ToolClassFilter} refuses it when {@link ToolTransformer}'s rule finds one.
   * What the JDK's own loaders define is never asked (their classes never carry {@code @Airlock}), and no supertype
   * in an ignored package is read: loaded by another loader it is asked itself, first, and its refusal fails this
   * class too. So an ordinary ignored class costs one scan of its constant pool; its verdict is not remembered, as
   * it differs from what a walk that reaches the class sees.
   */
  boolean skippedMayHoldTools(ClassLoader loader, String internalName, byte[] bytes) {
    return loader != null && loader != PLATFORM && !OWN_TOOL.equals(internalName)
        && verdict(loader, bytes, verdicts.of(loader), 0, true);
  }

  /**
   * Whether the type {@code name}, as {@code loader} resolves it, was seen to hold no tool, nor its supertypes: by
   * that loader, else by its nearest ancestor that saw it.
   */
  boolean knownFree(ClassLoader loader, String name) {
    Boolean seen = verdicts.of(loader).get(name);
    return Boolean.FALSE.equals(seen != null || loader == null ? seen : verdicts.inAncestors(loader, name));
  }

  /** {@code skipped}: the class is ignored by name, and so are the supertypes and made types not read for it. */
  private boolean verdict(ClassLoader loader, byte[] bytes, Map<String, Boolean> known, int depth, boolean skipped) {
    ClassFile file;
    try {
      file = ClassFile.parse(bytes);
    } catch (RuntimeException e) {
      return true;
    }
    if (depth == 0 && springAopProxy(file)) {
      return false;
    }
    if (file.namesAnnotation()) {
      return true;
    }
    for (List<String> types : List.of(file.supertypes(), file.functional())) {
      for (String type : types) {
        if (!(skipped && ignored(type)) && supertypeMayHoldTools(loader, type, known, depth + 1)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * A class Spring AOP generated (CGLIB) around a bean: every method it overrides hands the call to the bean's advice
   * chain, which ends in the bean's own method, rewritten here like any tool's, with the bean as its receiver.
   * Intercepted itself, the proxy was the receiver: a sandboxed call tried to ship it (its advice chain and through
   * it the bean and the application's context, refused: every sandboxed call of a proxied bean failed), and the
   * call was guarded twice, once by the shared interceptor instead of the Spring starter's.
   */
  private static boolean springAopProxy(ClassFile file) {
    return file.supertypes().contains(SPRING_PROXY) && file.supertypes().contains(SPRING_ADVISED)
        && file.supertypes().contains(CGLIB_FACTORY);
  }

  private boolean supertypeMayHoldTools(ClassLoader loader, String name, Map<String, Boolean> known, int depth) {
    if (neverTool(name)) {
      return false;
    }
    Boolean seen = known.get(name);
    if (seen != null) {
      return seen;
    }
    if (depth > MAX_DEPTH) {
      return true;
    }
    ClassLoader reader = loader != null ? loader : ClassLoader.getSystemClassLoader();
    boolean verdict;
    try (InputStream in = reader.getResourceAsStream(name.replace('.', '/') + ".class")) {
      if (in == null) {
        // Not a resource (generated at run time): what an ancestor saw of it, else a candidate; not remembered, as
        // the loader may yet define it.
        return !knownFree(loader, name);
      }
      verdict = verdict(loader, in.readAllBytes(), known, depth, false);
    } catch (IOException | RuntimeException e) {
      verdict = true;
    }
    known.put(name, verdict);
    return verdict;
  }

  /**
   * What of a class file the filter needs: whether its constant pool names the annotation, its supertypes, and the
   * types its {@code invokedynamic}s make (a lambda's or method reference's interface: the JVM implements it with a
   * hidden class, which no transformer ever sees; with {@code LambdaMetafactory.altMetafactory}, whose marker
   * interfaces are class constants, every class the pool names) with the names of the methods they implement.
   */
  record ClassFile(boolean namesAnnotation, List<String> supertypes, List<String> functional,
      List<String> implemented) {

    /** Parses the constant pool and the header after it (JVMS 4.1, 4.4); throws on a malformed file. */
    static ClassFile parse(byte[] b) {
      int count = u2(b, 8);
      int[] entries = new int[count];
      boolean names = false;
      int pos = 10;
      for (int i = 1; i < count; i++) {
        int tag = b[pos] & 0xff;
        entries[i] = pos;
        switch (tag) {
          case 1 -> {
            int length = u2(b, pos + 1);
            names |= length == DESCRIPTOR.length && equalsAt(b, pos + 3, DESCRIPTOR);
            pos += 3 + length;
          }
          case 7, 8, 16, 19, 20 -> pos += 3;
          case 15 -> pos += 4;
          case 3, 4, 9, 10, 11, 12, 17, 18 -> pos += 5;
          case 5, 6 -> {
            pos += 9;
            i++;
          }
          default -> throw new IllegalArgumentException("constant pool tag " + tag);
        }
      }
      List<String> functional = new ArrayList<>();
      List<String> implemented = new ArrayList<>();
      boolean markers = false;
      for (int i = 1; i < count; i++) {
        int at = entries[i];
        if (at != 0 && b[at] == 1) {
          markers |= u2(b, at + 1) == ALT_METAFACTORY.length && equalsAt(b, at + 3, ALT_METAFACTORY);
        } else if (at != 0 && b[at] == 18) {
          int nameAndType = entries[u2(b, at + 3)];
          implemented.add(utf8(b, entries, u2(b, nameAndType + 1)));
          String descriptor = utf8(b, entries, u2(b, nameAndType + 3));
          String made = descriptor.substring(descriptor.indexOf(')') + 1);
          if (made.startsWith("L")) {
            functional.add(made.substring(1, made.length() - 1).replace('/', '.'));
          }
        }
      }
      for (int i = 1; i < count && markers && !implemented.isEmpty(); i++) {
        if (entries[i] != 0 && b[entries[i]] == 7 && b[entries[u2(b, entries[i] + 1)] + 3] != '[') {
          functional.add(className(b, entries, i));
        }
      }
      List<String> supertypes = new ArrayList<>();
      int superClass = u2(b, pos + 4);
      if (superClass != 0) {
        supertypes.add(className(b, entries, superClass));
      }
      int interfaces = u2(b, pos + 6);
      for (int i = 0; i < interfaces; i++) {
        supertypes.add(className(b, entries, u2(b, pos + 8 + 2 * i)));
      }
      return new ClassFile(names, supertypes, functional, implemented);
    }

    private static String className(byte[] b, int[] entries, int classIndex) {
      return utf8(b, entries, u2(b, entries[classIndex] + 1)).replace('/', '.');
    }

    private static String utf8(byte[] b, int[] entries, int index) {
      int utf8 = entries[index];
      // Modified UTF-8 and UTF-8 agree on every name but those with NUL or supplementary characters: a name
      // decoded differently is not found, which makes its class a candidate.
      return new String(b, utf8 + 3, u2(b, utf8 + 1), StandardCharsets.UTF_8);
    }

    private static int u2(byte[] b, int at) {
      return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
    }

    private static boolean equalsAt(byte[] b, int at, byte[] expected) {
      if (at + expected.length > b.length) {
        return false;
      }
      for (int i = 0; i < expected.length; i++) {
        if (b[at + i] != expected[i]) {
          return false;
        }
      }
      return true;
    }
  }
}
