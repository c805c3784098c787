package dev.airlock.release;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.RecordComponentVisitor;
import org.objectweb.asm.Type;

/**
 * The API of a set of class files as text: every public or protected type outside the hidden packages, and its public
 * and protected members, one line each in Java syntax with generics, modifiers, the annotations that change how a
 * caller may use it (@Deprecated, @Target, ...), record components, enum constants, annotation defaults, constant
 * values and sealed types' permitted subclasses. Read from the class files (never loaded, so the jars' dependencies
 * need not be present). Types and members are sorted, so moving code inside a file changes nothing.
 *
 * <p>A line whose signature names a type of the internal package gets a trailing "// LEAKS ..." comment: a caller
 * would need that type, so it is public API in fact though not in name.
 */
final class ApiListing {
  private static final Set<String> SHOWN_ANNOTATIONS = Set.of(
      "Ljava/lang/Deprecated;", "Ljava/lang/FunctionalInterface;", "Ljava/lang/SafeVarargs;",
      "Ljava/lang/annotation/Documented;", "Ljava/lang/annotation/Inherited;", "Ljava/lang/annotation/Repeatable;",
      "Ljava/lang/annotation/Retention;", "Ljava/lang/annotation/Target;");
  private static final int CLASS_MODIFIERS = Opcodes.ACC_PUBLIC | Opcodes.ACC_PROTECTED | Opcodes.ACC_STATIC
      | Opcodes.ACC_ABSTRACT | Opcodes.ACC_FINAL;

  private final String internalPackage;
  private final List<String> hiddenPackages;
  private final Pattern internalName;

  /**
   * @param internalPackage the internal package prefix ("dev.airlock.internal."): hidden, and a leak when named
   * @param otherHiddenPackages further prefixes that are not API, such as relocated third-party code
   */
  ApiListing(String internalPackage, List<String> otherHiddenPackages) {
    this.internalPackage = internalPackage;
    this.hiddenPackages = new ArrayList<>(otherHiddenPackages);
    this.hiddenPackages.add(internalPackage);
    this.internalName = Pattern.compile(Pattern.quote(internalPackage) + "[\\w.$]+");
  }

  /** The listing of every class in the jar (multi-release variants and module-info excluded). */
  String render(Path jar) {
    List<byte[]> classes = new ArrayList<>();
    try (JarFile file = new JarFile(jar.toFile())) {
      for (var entry : file.stream().toList()) {
        String name = entry.getName();
        if (name.endsWith(".class") && !name.startsWith("META-INF/") && !name.endsWith("module-info.class")) {
          try (InputStream in = file.getInputStream(entry)) {
            classes.add(in.readAllBytes());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return render(classes);
  }

  String render(List<byte[]> classFiles) {
    Map<String, ApiClass> classes = new HashMap<>();
    for (byte[] bytes : classFiles) {
      ApiClass type = new ApiClass();
      new ClassReader(bytes).accept(type, ClassReader.SKIP_CODE | ClassReader.SKIP_FRAMES);
      classes.put(type.name, type);
    }
    Map<String, ApiClass> shown = new TreeMap<>();
    classes.values().stream().filter(type -> isApi(type, classes)).forEach(type -> shown.put(type.name, type));
    StringBuilder listing = new StringBuilder();
    for (ApiClass type : shown.values()) {
      listing.append(listing.length() == 0 ? "" : "\n").append(markLeaks(type.header() + " {")).append('\n');
      type.members.forEach(member -> listing.append("  ").append(markLeaks(member.line())).append('\n'));
      listing.append("}\n");
    }
    return listing.toString();
  }

  /** Internal type names in a line: none for a clean line. */
  Set<String> leaks(String line) {
    Set<String> names = new TreeSet<>();
    Matcher matcher = internalName.matcher(line);
    while (matcher.find()) {
      names.add(matcher.group());
    }
    return names;
  }

  private String markLeaks(String line) {
    Set<String> leaks = leaks(line);
    return leaks.isEmpty() ? line : line + "  // LEAKS " + String.join(", ", leaks);
  }

  /** Public or protected, outside the hidden packages, not anonymous or local, and inside an API type if nested. */
  private boolean isApi(ApiClass type, Map<String, ApiClass> classes) {
    String name = ApiSignatures.className(type.name);
    if (hiddenPackages.stream().anyMatch(name::startsWith) || type.isSynthetic() || type.localOrAnonymous) {
      return false;
    }
    if ((type.access & (Opcodes.ACC_PUBLIC | Opcodes.ACC_PROTECTED)) == 0) {
      return false;
    }
    ApiClass outer = type.outerName == null ? null : classes.get(type.outerName);
    return type.outerName == null || outer != null && isApi(outer, classes);
  }

  /** One class file's API: collected by ASM's visitor, rendered to lines. */
  private static final class ApiClass extends ClassVisitor {
    String name;
    int access;
    String outerName;
    boolean localOrAnonymous;
    private String signature;
    private String superName;
    private String[] interfaces;
    private final List<String> annotations = new ArrayList<>();
    private final List<String> components = new ArrayList<>();
    private final Set<String> permitted = new TreeSet<>();
    final Set<Member> members = new TreeSet<>();

    ApiClass() {
      super(Opcodes.ASM9);
    }

    boolean isSynthetic() {
      return (access & Opcodes.ACC_SYNTHETIC) != 0;
    }

    @Override
    public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
      this.name = name;
      this.access = access;
      this.signature = signature;
      this.superName = superName;
      this.interfaces = interfaces;
    }

    @Override
    public void visitInnerClass(String name, String outerName, String innerName, int access) {
      if (name.equals(this.name)) {
        // The class file's own flags say public for a protected member class and omit static: these are the real ones.
        this.access = access | (this.access & ~CLASS_MODIFIERS & ~Opcodes.ACC_PRIVATE);
        this.outerName = outerName;
        this.localOrAnonymous = outerName == null || innerName == null;
      }
    }

    @Override
    public void visitOuterClass(String owner, String name, String descriptor) {
      localOrAnonymous = true;
    }

    @Override
    public AnnotationVisitor visitAnnotation(String descriptor, boolean visible) {
      return shown(descriptor, annotations);
    }

    @Override
    public void visitPermittedSubclass(String permittedSubclass) {
      permitted.add(ApiSignatures.className(permittedSubclass));
    }

    @Override
    public RecordComponentVisitor visitRecordComponent(String name, String descriptor, String signature) {
      components.add(ApiSignatures.type(signature != null ? signature : descriptor) + " " + name);
      return null;
    }

    @Override
    public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
      if (!isVisible(access) || (access & Opcodes.ACC_SYNTHETIC) != 0) {
        return null;
      }
      List<String> fieldAnnotations = new ArrayList<>();
      return new FieldVisitor(Opcodes.ASM9) {
        @Override
        public AnnotationVisitor visitAnnotation(String descriptor, boolean visible) {
          return shown(descriptor, fieldAnnotations);
        }

        @Override
        public void visitEnd() {
          String prefix = prefix(fieldAnnotations, access);
          if ((access & Opcodes.ACC_ENUM) != 0) {
            members.add(new Member(Member.ENUM_CONSTANT, name, prefix + "enum constant " + name));
            return;
          }
          String line = prefix + fieldModifiers(access) + ApiSignatures.type(signature != null ? signature : descriptor)
              + " " + name;
          members.add(new Member(Member.FIELD, name, value == null ? line : line + " = " + literal(value)));
        }
      };
    }

    @Override
    public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
        String[] exceptions) {
      if (!isVisible(access) || (access & (Opcodes.ACC_SYNTHETIC | Opcodes.ACC_BRIDGE)) != 0
          || name.equals("<clinit>")) {
        return null;
      }
      List<String> methodAnnotations = new ArrayList<>();
      StringBuilder defaultValue = new StringBuilder();
      return new MethodVisitor(Opcodes.ASM9) {
        @Override
        public AnnotationVisitor visitAnnotation(String descriptor, boolean visible) {
          return shown(descriptor, methodAnnotations);
        }

        @Override
        public AnnotationVisitor visitAnnotationDefault() {
          return new ValueWriter(value -> defaultValue.append(" default ").append(value));
        }

        @Override
        public void visitEnd() {
          members.add(new Member(name.equals("<init>") ? Member.CONSTRUCTOR : Member.METHOD, name,
              prefix(methodAnnotations, access) + method(access, name, descriptor, signature, exceptions)
                  + defaultValue));
        }
      };
    }

    private String method(int access, String name, String descriptor, String signature, String[] exceptions) {
      ApiSignatures.Method method = ApiSignatures.method(signature != null ? signature : descriptor);
      StringBuilder line = new StringBuilder(methodModifiers(access));
      if (!method.typeParameters().isEmpty()) {
        line.append(method.typeParameters()).append(' ');
      }
      if (name.equals("<init>")) {
        String binary = ApiSignatures.className(this.name);
        line.append(binary.substring(Math.max(binary.lastIndexOf('.'), binary.lastIndexOf('$')) + 1));
      } else {
        line.append(method.returnType()).append(' ').append(name);
      }
      List<String> parameters = new ArrayList<>(method.parameters());
      if ((access & Opcodes.ACC_VARARGS) != 0) {
        int last = parameters.size() - 1;
        String array = parameters.get(last);
        parameters.set(last, array.substring(0, array.length() - 2) + "...");
      }
      line.append('(').append(String.join(", ", parameters)).append(')');
      List<String> thrown = new ArrayList<>(method.exceptions());
      if (thrown.isEmpty() && exceptions != null) {
        for (String exception : exceptions) {
          thrown.add(ApiSignatures.className(exception));
        }
      }
      if (!thrown.isEmpty()) {
        line.append(" throws ").append(String.join(", ", thrown));
      }
      return line.toString();
    }

    private String methodModifiers(int access) {
      boolean isInterface = (this.access & Opcodes.ACC_INTERFACE) != 0;
      StringBuilder modifiers = new StringBuilder(visibility(access));
      if ((access & Opcodes.ACC_STATIC) != 0) {
        modifiers.append("static ");
      } else if ((access & Opcodes.ACC_ABSTRACT) != 0) {
        modifiers.append("abstract ");
      } else if (isInterface) {
        modifiers.append("default ");
      }
      if ((access & Opcodes.ACC_FINAL) != 0) {
        modifiers.append("final ");
      }
      return modifiers.toString();
    }

    String header() {
      StringBuilder line = new StringBuilder(prefix(annotations, access)).append(visibility(access));
      boolean isInterface = (access & Opcodes.ACC_INTERFACE) != 0;
      boolean isEnum = (access & Opcodes.ACC_ENUM) != 0;
      boolean isRecord = "java/lang/Record".equals(superName);
      if ((access & Opcodes.ACC_STATIC) != 0) {
        line.append("static ");
      }
      if (!isInterface && !isEnum && (access & Opcodes.ACC_ABSTRACT) != 0) {
        line.append("abstract ");
      }
      if (!isEnum && !isRecord && (access & Opcodes.ACC_FINAL) != 0) {
        line.append("final ");
      }
      // An enum whose constants have bodies is sealed by the compiler, permitting anonymous classes: not worth a word.
      boolean isSealed = !permitted.isEmpty() && !isEnum;
      if (isSealed) {
        line.append("sealed ");
      }
      String kind = (access & Opcodes.ACC_ANNOTATION) != 0 ? "@interface"
          : isInterface ? "interface" : isEnum ? "enum" : isRecord ? "record" : "class";
      line.append(kind).append(' ').append(ApiSignatures.className(name));
      List<String> parts = signature != null ? ApiSignatures.classSignature(signature) : descriptorParts();
      line.append(parts.get(0));
      if (isRecord) {
        line.append('(').append(String.join(", ", components)).append(')');
      }
      String superclass = parts.get(1);
      List<String> implemented = new ArrayList<>(parts.subList(2, parts.size()));
      implemented.remove("java.lang.annotation.Annotation");
      if (!isInterface && !isEnum && !isRecord && !superclass.equals("java.lang.Object")) {
        line.append(" extends ").append(superclass);
      }
      if (!implemented.isEmpty()) {
        line.append(isInterface ? " extends " : " implements ").append(String.join(", ", implemented));
      }
      if (isSealed) {
        line.append(" permits ").append(String.join(", ", permitted));
      }
      return line.toString();
    }

    private List<String> descriptorParts() {
      List<String> parts = new ArrayList<>();
      parts.add("");
      parts.add(ApiSignatures.className(superName));
      for (String implemented : interfaces) {
        parts.add(ApiSignatures.className(implemented));
      }
      return parts;
    }
  }

  /** A member's line, ordered by kind (enum constants, fields, constructors, methods), then name, then line. */
  private record Member(int kind, String name, String line) implements Comparable<Member> {
    static final int ENUM_CONSTANT = 0;
    static final int FIELD = 1;
    static final int CONSTRUCTOR = 2;
    static final int METHOD = 3;
    private static final Comparator<Member> ORDER = Comparator.comparingInt(Member::kind)
        .thenComparing(Member::name).thenComparing(Member::line);

    @Override
    public int compareTo(Member other) {
      return ORDER.compare(this, other);
    }
  }

  private static boolean isVisible(int access) {
    return (access & (Opcodes.ACC_PUBLIC | Opcodes.ACC_PROTECTED)) != 0;
  }

  private static String visibility(int access) {
    return (access & Opcodes.ACC_PUBLIC) != 0 ? "public " : "protected ";
  }

  private static String fieldModifiers(int access) {
    StringBuilder modifiers = new StringBuilder(visibility(access));
    if ((access & Opcodes.ACC_STATIC) != 0) {
      modifiers.append("static ");
    }
    if ((access & Opcodes.ACC_FINAL) != 0) {
      modifiers.append("final ");
    }
    if ((access & Opcodes.ACC_VOLATILE) != 0) {
      modifiers.append("volatile ");
    }
    return modifiers.toString();
  }

  /** The shown annotations, and @Deprecated for a member deprecated by the javadoc tag alone. */
  private static String prefix(List<String> annotations, int access) {
    List<String> all = new ArrayList<>(annotations);
    if ((access & Opcodes.ACC_DEPRECATED) != 0 && all.stream().noneMatch(a -> a.startsWith("@java.lang.Deprecated"))) {
      all.add("@java.lang.Deprecated");
    }
    all.sort(null);
    return all.isEmpty() ? "" : String.join(" ", all) + " ";
  }

  private static AnnotationVisitor shown(String descriptor, List<String> into) {
    if (!SHOWN_ANNOTATIONS.contains(descriptor)) {
      return null;
    }
    String type = "@" + Type.getType(descriptor).getClassName();
    List<String> elements = new ArrayList<>();
    return new ValueWriter(null) {
      @Override
      void element(String name, String value) {
        elements.add(name.equals("value") ? value : name + "=" + value);
      }

      @Override
      public void visitEnd() {
        elements.sort(null);
        into.add(elements.isEmpty() ? type : type + "(" + String.join(", ", elements) + ")");
      }
    };
  }

  /** Annotation element values as Java source: 60, "text", ElementType.METHOD, {a, b}, String.class. */
  private static class ValueWriter extends AnnotationVisitor {
    private final Consumer<String> single;

    ValueWriter(Consumer<String> single) {
      super(Opcodes.ASM9);
      this.single = single;
    }

    void element(String name, String value) {
      single.accept(value);
    }

    @Override
    public void visit(String name, Object value) {
      element(name, value instanceof Type type ? type.getClassName() + ".class" : literal(value));
    }

    @Override
    public void visitEnum(String name, String descriptor, String value) {
      String type = Type.getType(descriptor).getClassName();
      element(name, type.substring(type.lastIndexOf('.') + 1) + "." + value);
    }

    @Override
    public AnnotationVisitor visitAnnotation(String name, String descriptor) {
      element(name, "@" + Type.getType(descriptor).getClassName());
      return null;
    }

    @Override
    public AnnotationVisitor visitArray(String name) {
      List<String> values = new ArrayList<>();
      return new ValueWriter(values::add) {
        @Override
        void element(String ignored, String value) {
          values.add(value);
        }

        @Override
        public void visitEnd() {
          ValueWriter.this.element(name, "{" + String.join(", ", values) + "}");
        }
      };
    }
  }

  private static String literal(Object value) {
    if (value instanceof String text) {
      StringBuilder quoted = new StringBuilder("\"");
      for (char c : text.toCharArray()) {
        if (c == '"' || c == '\\') {
          quoted.append('\\').append(c);
        } else if (c < 0x20 || c > 0x7e) {
          quoted.append(String.format("\\u%04x", (int) c));
        } else {
          quoted.append(c);
        }
      }
      return quoted.append('"').toString();
    }
    if (value instanceof Character c) {
      return "'\\u" + String.format("%04x", (int) c) + "'";
    }
    if (value instanceof Long) {
      return value + "L";
    }
    if (value instanceof Float) {
      return value + "f";
    }
    return String.valueOf(value);
  }
}
