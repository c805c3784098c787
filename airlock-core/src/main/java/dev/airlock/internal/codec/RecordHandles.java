package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.io.Input;
import com.esotericsoftware.kryo.kryo5.io.Output;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;

/**
 * Method handles that read and write one record type without reflection's boxing and per-call checks: each
 * component's field through its getter handle, and the canonical constructor fed by one reader per component, folded
 * so that they run in declaration order. A fifth faster than reflection on record-heavy payloads, but the JVM spins
 * classes the first time it links them, tens of milliseconds, so {@link RecordSerializer} builds them only for a
 * record type it has shipped many times.
 */
final class RecordHandles {
  private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
  private static final MethodType WRITER = MethodType.methodType(void.class, Kryo.class, Output.class, Record.class);
  private static final MethodType READER = MethodType.methodType(Record.class, Kryo.class, Input.class);

  private final MethodHandle writer;
  private final MethodHandle reader;

  private RecordHandles(MethodHandle writer, MethodHandle reader) {
    this.writer = writer;
    this.reader = reader;
  }

  static RecordHandles of(RecordSerializer.Component[] components, Constructor<? extends Record> constructor)
      throws ReflectiveOperationException {
    // Writer k folded in front of the writers after it, last first: one handle that writes them all in order.
    MethodHandle writer = MethodHandles.empty(WRITER);
    // The constructor, taking (c0 .. cn-1, kryo, input); folding in reader k, last first, leaves (kryo, input).
    MethodHandle reader = MethodHandles.dropArguments(LOOKUP.unreflectConstructor(constructor), components.length,
        Kryo.class, Input.class);
    for (int k = components.length - 1; k >= 0; k--) {
      RecordSerializer.Component component = components[k];
      writer = MethodHandles.foldArguments(writer, writer(component));
      reader = MethodHandles.foldArguments(reader, k, reader(component));
    }
    return new RecordHandles(writer, reader.asType(READER));
  }

  /** (kryo, output, record) writing the component's field. */
  private static MethodHandle writer(RecordSerializer.Component component) throws ReflectiveOperationException {
    Class<?> type = component.type();
    MethodHandle write;
    if (type.isPrimitive() || type == String.class) {
      write = MethodHandles.dropArguments(
          LOOKUP.findStatic(RecordSerializer.class, "write", MethodType.methodType(void.class, Output.class, type)),
          0, Kryo.class);
    } else {
      write = LOOKUP.findVirtual(RecordSerializer.Component.class, "writeReference",
          MethodType.methodType(void.class, Kryo.class, Output.class, Object.class)).bindTo(component)
          .asType(MethodType.methodType(void.class, Kryo.class, Output.class, type));
    }
    return MethodHandles.filterArguments(write, 2, LOOKUP.unreflectGetter(component.field())).asType(WRITER);
  }

  /** (kryo, input) returning the component's value, unboxed. */
  private static MethodHandle reader(RecordSerializer.Component component) throws ReflectiveOperationException {
    Class<?> type = component.type();
    if (type.isPrimitive() || type == String.class) {
      String simpleName = type.getSimpleName();
      String name = "read" + Character.toUpperCase(simpleName.charAt(0)) + simpleName.substring(1);
      return MethodHandles.dropArguments(
          LOOKUP.findStatic(RecordSerializer.class, name, MethodType.methodType(type, Input.class)), 0, Kryo.class);
    }
    return LOOKUP.findVirtual(RecordSerializer.Component.class, "readReference",
        MethodType.methodType(Object.class, Kryo.class, Input.class)).bindTo(component)
        .asType(MethodType.methodType(type, Kryo.class, Input.class));
  }

  void write(Kryo kryo, Output output, Record record) throws Throwable {
    writer.invokeExact(kryo, output, record);
  }

  Record read(Kryo kryo, Input input) throws Throwable {
    return (Record) reader.invokeExact(kryo, input);
  }
}
