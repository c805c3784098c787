package dev.airlock.agent;

import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * Puts the interception in front of a tool method's own code, which is left as it is:
 * <pre>
 *   Object outcome = AgentDispatch.enter(this or null, ThisClass.class, "name(descriptor)", new Object[] {args});
 *   if (outcome != null) return (ReturnType) AgentDispatch.result(outcome);   // or throws what the call threw
 *   ...the original body (runs when the interceptor proceeds locally)...
 * </pre>
 * It uses no local variable and adds one stack map frame, at the original code's start, with the method's initial
 * locals; the frames that follow are deltas from those locals, so they stay valid as they are and no frame is
 * computed (which would need the classes' hierarchy, so loading them).
 */
final class InterceptPrologue extends MethodVisitor {
  private static final String DISPATCH = "dev/airlock/agent/AgentDispatch";
  private static final String OBJECT = "java/lang/Object";
  /** Receiver, class, name, array, array, index and a long or double argument. */
  private static final int STACK = 8;

  private final String owner;
  private final boolean isStatic;
  private final String method;
  private final Type type;
  private final boolean frames;
  /** The method was synchronized: the rewriting took the flag off, and the original code holds the monitor itself. */
  private final boolean locks;
  private final Label locked = new Label();
  private final Label unlocked = new Label();
  private final Label unlock = new Label();

  /** {@code frames}: the class file has stack map frames (version 50 on), so the branch added needs one. */
  InterceptPrologue(MethodVisitor next, String owner, int access, String name, String descriptor, boolean frames) {
    this(next, owner, access, name, descriptor, frames, false);
  }

  /**
   * {@code locks}: the method is declared {@code synchronized} and is written without the flag (the caller strips
   * it), so the prologue runs without its monitor and the original code takes it. With the flag, the caller's
   * thread held the monitor through the interception, and a host call's body, which runs on a host-call thread,
   * waited for it until the call's timeout; the caller got {@code HostCallTimeoutException} and the body ran after.
   */
  InterceptPrologue(MethodVisitor next, String owner, int access, String name, String descriptor, boolean frames,
      boolean locks) {
    super(Opcodes.ASM9, next);
    this.owner = owner;
    this.isStatic = (access & Opcodes.ACC_STATIC) != 0;
    this.method = name + descriptor;
    this.type = Type.getMethodType(descriptor);
    this.frames = frames;
    this.locks = locks;
  }

  @Override
  public void visitCode() {
    super.visitCode();
    if (isStatic) {
      super.visitInsn(Opcodes.ACONST_NULL);
    } else {
      super.visitVarInsn(Opcodes.ALOAD, 0);
    }
    super.visitLdcInsn(Type.getObjectType(owner));
    super.visitLdcInsn(method);
    Type[] arguments = type.getArgumentTypes();
    super.visitLdcInsn(arguments.length);
    super.visitTypeInsn(Opcodes.ANEWARRAY, OBJECT);
    int slot = isStatic ? 0 : 1;
    for (int i = 0; i < arguments.length; i++) {
      super.visitInsn(Opcodes.DUP);
      super.visitLdcInsn(i);
      super.visitVarInsn(arguments[i].getOpcode(Opcodes.ILOAD), slot);
      box(arguments[i]);
      super.visitInsn(Opcodes.AASTORE);
      slot += arguments[i].getSize();
    }
    super.visitMethodInsn(Opcodes.INVOKESTATIC, DISPATCH, "enter",
        "(Ljava/lang/Object;Ljava/lang/Class;Ljava/lang/String;[Ljava/lang/Object;)Ljava/lang/Object;", false);
    super.visitInsn(Opcodes.DUP);
    Label body = new Label();
    super.visitJumpInsn(Opcodes.IFNULL, body);
    super.visitMethodInsn(Opcodes.INVOKESTATIC, DISPATCH, "result", "(Ljava/lang/Object;)Ljava/lang/Object;", false);
    returnResult(type.getReturnType());
    super.visitLabel(body);
    if (frames) {
      super.visitFrame(Opcodes.F_SAME1, 0, null, 1, new Object[] {OBJECT});
    }
    super.visitInsn(Opcodes.POP);
    if (locks) {
      pushLock();
      super.visitInsn(Opcodes.MONITORENTER);
      super.visitLabel(locked);
    }
  }

  @Override
  public void visitInsn(int opcode) {
    if (locks && opcode >= Opcodes.IRETURN && opcode <= Opcodes.RETURN) {
      pushLock();
      super.visitInsn(Opcodes.MONITOREXIT);
    }
    super.visitInsn(opcode);
  }

  @Override
  public void visitMaxs(int maxStack, int maxLocals) {
    if (locks) {
      // Every exception out of the original code gives the monitor back, as the JVM does for a synchronized method.
      // Its entry comes last in the exception table, after the original code's own: the JVM takes the first entry
      // that matches, and this one, covering the whole body and catching everything, went first, so the method's own
      // catch never ran. (ASM's writer places the labels when it writes the table, so they may be visited before.)
      super.visitTryCatchBlock(locked, unlocked, unlock, null);
      super.visitLabel(unlocked);
      super.visitLabel(unlock);
      if (frames) {
        // Only the receiver, which the code never replaces: a frame naming fewer locals admits every path into it.
        Object[] locals = isStatic ? new Object[0] : new Object[] {owner};
        super.visitFrame(Opcodes.F_FULL, locals.length, locals, 1, new Object[] {"java/lang/Throwable"});
      }
      pushLock();
      super.visitInsn(Opcodes.MONITOREXIT);
      super.visitInsn(Opcodes.ATHROW);
    }
    super.visitMaxs(Math.max(maxStack, STACK), maxLocals);
  }

  /** The monitor a synchronized method holds: the receiver, or the class of a static method. */
  private void pushLock() {
    if (isStatic) {
      super.visitLdcInsn(Type.getObjectType(owner));
    } else {
      super.visitVarInsn(Opcodes.ALOAD, 0);
    }
  }

  private void box(Type argument) {
    Type boxed = boxed(argument);
    if (boxed != null) {
      super.visitMethodInsn(Opcodes.INVOKESTATIC, boxed.getInternalName(), "valueOf",
          Type.getMethodDescriptor(boxed, argument), false);
    }
  }

  /** The value on the stack, an Object, returned as the method's type (unboxed for a primitive, as Java would). */
  private void returnResult(Type returned) {
    if (returned.getSort() == Type.VOID) {
      super.visitInsn(Opcodes.POP);
      super.visitInsn(Opcodes.RETURN);
      return;
    }
    Type boxed = boxed(returned);
    if (boxed != null) {
      super.visitTypeInsn(Opcodes.CHECKCAST, boxed.getInternalName());
      super.visitMethodInsn(Opcodes.INVOKEVIRTUAL, boxed.getInternalName(), returned.getClassName() + "Value",
          Type.getMethodDescriptor(returned), false);
    } else if (!returned.getInternalName().equals(OBJECT)) {
      super.visitTypeInsn(Opcodes.CHECKCAST, returned.getInternalName());
    }
    super.visitInsn(returned.getOpcode(Opcodes.IRETURN));
  }

  /** The wrapper of a primitive type, null for a reference type. */
  private static Type boxed(Type type) {
    String wrapper = switch (type.getSort()) {
      case Type.BOOLEAN -> "java/lang/Boolean";
      case Type.CHAR -> "java/lang/Character";
      case Type.BYTE -> "java/lang/Byte";
      case Type.SHORT -> "java/lang/Short";
      case Type.INT -> "java/lang/Integer";
      case Type.FLOAT -> "java/lang/Float";
      case Type.LONG -> "java/lang/Long";
      case Type.DOUBLE -> "java/lang/Double";
      default -> null;
    };
    return wrapper == null ? null : Type.getObjectType(wrapper);
  }
}
