package dev.airlock.agent;

import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.jar.asm.AnnotationVisitor;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * What {@link ToolTransformer}'s rule needs of a type, read from its class file alone (no class is loaded): whether
 * the type carries {@code @Airlock}, its supertypes, and its methods with their annotation and, for a bridge, the
 * method it calls; its access flags and superclass (null for an interface and for {@code Object}). Read with the
 * ASM that Byte Buddy ships, code skipped unless the type declares a bridge.
 */
record TypeShape(String name, int access, String superclass, boolean annotated, List<String> supertypes,
    List<Member> methods) {

  /**
   * A declared method. {@code bridged} is the {@code name + descriptor} a bridge calls (the override it makes
   * reachable under another erasure), null for any other method.
   */
  record Member(int access, String name, String descriptor, boolean annotated, String bridged) {

    boolean is(int flag) {
      return (access & flag) != 0;
    }

    /** Overridable: neither static nor private, nor a constructor or initializer. */
    boolean virtual() {
      return !is(Opcodes.ACC_STATIC) && !is(Opcodes.ACC_PRIVATE) && name.charAt(0) != '<';
    }

    String parameters() {
      return descriptor.substring(0, descriptor.indexOf(')') + 1);
    }
  }

  /** The shape of the class file {@code bytes}, whose binary names are dotted ({@code a.b.C}). */
  static TypeShape of(byte[] bytes, String annotationDescriptor) {
    ClassReader reader = new ClassReader(bytes);
    Reading reading = new Reading(annotationDescriptor);
    reader.accept(reading, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
    if (reading.bridges > 0) {
      reader.accept(reading.bridgeTargets(), ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
    }
    return new TypeShape(reading.name, reading.access, reading.superclass, reading.annotated, reading.supertypes,
        reading.members());
  }

  /** A method as it is being read. */
  private static final class Pending {
    private final int access;
    private final String name;
    private final String descriptor;
    private boolean annotated;
    private String bridged;

    Pending(int access, String name, String descriptor) {
      this.access = access;
      this.name = name;
      this.descriptor = descriptor;
    }
  }

  /** One pass over the header, the annotations and the methods' signatures. */
  private static final class Reading extends ClassVisitor {
    private final String annotation;
    private final List<String> supertypes = new ArrayList<>();
    private final List<Pending> methods = new ArrayList<>();
    private String name;
    private int access;
    private String superclass;
    private boolean annotated;
    private int bridges;

    Reading(String annotation) {
      super(Opcodes.ASM9);
      this.annotation = annotation;
    }

    @Override
    public void visit(int version, int flags, String internalName, String signature, String superName,
        String[] interfaces) {
      name = internalName.replace('/', '.');
      access = flags;
      if (superName != null) {
        supertypes.add(superName.replace('/', '.'));
        superclass = (flags & Opcodes.ACC_INTERFACE) != 0 ? null : superName.replace('/', '.');
      }
      for (String type : interfaces) {
        supertypes.add(type.replace('/', '.'));
      }
    }

    @Override
    public AnnotationVisitor visitAnnotation(String descriptor, boolean visible) {
      annotated |= visible && descriptor.equals(annotation);
      return null;
    }

    @Override
    public MethodVisitor visitMethod(int flags, String method, String descriptor, String signature,
        String[] exceptions) {
      Pending pending = new Pending(flags, method, descriptor);
      methods.add(pending);
      if ((flags & Opcodes.ACC_BRIDGE) != 0) {
        bridges++;
      }
      return new MethodVisitor(Opcodes.ASM9) {
        @Override
        public AnnotationVisitor visitAnnotation(String type, boolean visible) {
          pending.annotated |= visible && type.equals(annotation);
          return null;
        }
      };
    }

    /** A second pass, with code, that records which method each bridge calls: the first call of its own name. */
    ClassVisitor bridgeTargets() {
      return new ClassVisitor(Opcodes.ASM9) {
        private int index = -1;

        @Override
        public MethodVisitor visitMethod(int flags, String method, String descriptor, String signature,
            String[] exceptions) {
          Pending bridge = methods.get(++index);
          if ((flags & Opcodes.ACC_BRIDGE) == 0) {
            return null;
          }
          return new MethodVisitor(Opcodes.ASM9) {
            @Override
            public void visitMethodInsn(int opcode, String owner, String called, String calledDescriptor,
                boolean isInterface) {
              if (bridge.bridged == null && called.equals(method)) {
                bridge.bridged = called + calledDescriptor;
              }
            }
          };
        }
      };
    }

    List<Member> members() {
      List<Member> out = new ArrayList<>(methods.size());
      for (Pending m : methods) {
        out.add(new Member(m.access, m.name, m.descriptor, m.annotated, m.bridged));
      }
      return out;
    }
  }
}
