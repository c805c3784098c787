package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.KryoException;
import com.esotericsoftware.kryo.kryo5.Serializer;
import com.esotericsoftware.kryo.kryo5.io.Input;
import com.esotericsoftware.kryo.kryo5.io.Output;
import com.esotericsoftware.kryo.kryo5.util.Generics.GenericType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records by their components, in declaration order: each component's field is read directly (as Java
 * serialization does, so an accessor that computes or copies is not run), primitives and strings are written bare,
 * and an object is rebuilt through its canonical constructor, looked up once per record class. Kryo's own record
 * serializer calls every accessor reflectively, boxes every primitive and looks its components up per object,
 * which made records slower to ship through Kryo than through Java serialization.
 *
 * <p>Reflection first, method handles later: handles are faster per object, but linking them costs a fresh JVM tens
 * of milliseconds, which a single-use worker would pay on its one call. So a record type shipped
 * {@value #HANDLES_AFTER} times gets its {@link RecordHandles} built on a background thread and uses them once they
 * are ready, as the JDK's own reflection switches to generated code after a few calls. Both paths write and read the
 * same bytes, and both sides of the wire use this class, so both agree on them. Public with a (Kryo, Class)
 * constructor because Kryo creates one per record class.
 */
public final class RecordSerializer extends Serializer<Record> {
  /** Objects of one record type shipped, by one thread's Kryo, before it asks for method handles. */
  static final int HANDLES_AFTER = 1000;
  /**
   * A worker never builds them: the builder's thread would outlive the call, and a reused worker is returned to its
   * pool only while it has exactly the threads it had when it said hello (any call shipping 1,000 records cost the
   * pool its worker). A worker's calls are few, so reflection is the cheaper path there anyway.
   */
  private static final boolean IN_WORKER = Boolean.getBoolean("airlock.worker");
  private static final ExecutorService HANDLE_BUILDER = Executors.newSingleThreadExecutor(task -> {
    Thread thread = new Thread(task, "airlock-record-handles");
    thread.setDaemon(true);
    return thread;
  });

  private final Class<? extends Record> type;
  private final Component[] components;
  private final Constructor<? extends Record> constructor;
  private int shipped;
  private volatile RecordHandles handles;

  public RecordSerializer(Kryo kryo, Class<? extends Record> type) {
    setImmutable(true);
    this.type = type;
    RecordComponent[] declared = type.getRecordComponents();
    components = new Component[declared.length];
    Class<?>[] parameters = new Class<?>[declared.length];
    try {
      for (int i = 0; i < declared.length; i++) {
        Field field = type.getDeclaredField(declared[i].getName());
        field.setAccessible(true);
        components[i] = new Component(type, declared[i], kryo, field);
        parameters[i] = declared[i].getType();
      }
      constructor = type.getDeclaredConstructor(parameters);
      constructor.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new KryoException("record " + type.getName() + " cannot be shipped: " + e.getMessage(), e);
    }
  }

  /** The handles once they are built; counts the objects shipped until then and asks for them once. */
  private RecordHandles handles() {
    RecordHandles ready = handles;
    if (ready == null && !IN_WORKER && ++shipped == HANDLES_AFTER) {
      try {
        HANDLE_BUILDER.execute(this::buildHandles);
      } catch (RejectedExecutionException e) {
        Slf4j.LOG.debug("method handles of {} not built: {}", type.getName(), e.toString());
      }
    }
    return ready;
  }

  private void buildHandles() {
    try {
      handles = RecordHandles.of(components, constructor);
    } catch (ReflectiveOperationException | RuntimeException e) {
      Slf4j.LOG.debug("record {} keeps shipping by reflection: its method handles could not be built",
          type.getName(), e);
    }
  }

  /** True once this serializer uses method handles; for tests. */
  boolean usesHandles() {
    return handles != null;
  }

  @Override
  public void write(Kryo kryo, Output output, Record record) {
    RecordHandles ready = handles();
    try {
      if (ready != null) {
        ready.write(kryo, output, record);
        return;
      }
      for (Component component : components) {
        component.write(kryo, output, record);
      }
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new KryoException("reading a component of " + record.getClass().getName() + " failed: " + e, e);
    }
  }

  @Override
  public Record read(Kryo kryo, Input input, Class<? extends Record> type) {
    RecordHandles ready = handles();
    if (ready != null) {
      try {
        return ready.read(kryo, input);
      } catch (KryoException | Error e) {
        throw e;
      } catch (Throwable e) {
        throw new KryoException("constructing " + type.getName() + " failed: " + e, e);
      }
    }
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      values[i] = components[i].read(kryo, input);
    }
    try {
      return constructor.newInstance(values);
    } catch (InvocationTargetException e) {
      throw new KryoException("constructing " + type.getName() + " failed: " + e.getCause(), e.getCause());
    } catch (ReflectiveOperationException | IllegalArgumentException e) {
      throw new KryoException("constructing " + type.getName() + " failed: " + e, e);
    }
  }

  /**
   * How one component travels: primitives and strings bare, final types without their class, others with it. A
   * parameterized component ({@code List<Row>}) tells Kryo its type arguments, as Kryo's field serializer does, so
   * the elements of a final type travel without a class each.
   */
  static final class Component {
    private final Class<?> type;
    private final Field field;
    private final boolean knownType;
    private final GenericType generic;

    Component(Class<? extends Record> record, RecordComponent component, Kryo kryo, Field field) {
      this.type = component.getType();
      this.field = field;
      this.knownType = !type.isPrimitive() && type != String.class && Modifier.isFinal(type.getModifiers())
          && !type.isArray() && kryo.isFinal(type);
      this.generic = component.getGenericType() instanceof ParameterizedType parameterized
          ? new GenericType(record, record, parameterized) : null;
    }

    Class<?> type() {
      return type;
    }

    Field field() {
      return field;
    }

    void writeReference(Kryo kryo, Output output, Object value) {
      if (generic != null) {
        kryo.getGenerics().pushGenericType(generic);
      }
      try {
        if (knownType) {
          kryo.writeObjectOrNull(output, value, type);
        } else {
          kryo.writeClassAndObject(output, value);
        }
      } finally {
        if (generic != null) {
          kryo.getGenerics().popGenericType();
        }
      }
    }

    Object readReference(Kryo kryo, Input input) {
      if (generic != null) {
        kryo.getGenerics().pushGenericType(generic);
      }
      try {
        return knownType ? kryo.readObjectOrNull(input, type) : kryo.readClassAndObject(input);
      } finally {
        if (generic != null) {
          kryo.getGenerics().popGenericType();
        }
      }
    }

    void write(Kryo kryo, Output output, Record record) throws IllegalAccessException {
      if (type == String.class) {
        RecordSerializer.write(output, (String) field.get(record));
      } else if (type == int.class) {
        RecordSerializer.write(output, field.getInt(record));
      } else if (type == long.class) {
        RecordSerializer.write(output, field.getLong(record));
      } else if (type == double.class) {
        RecordSerializer.write(output, field.getDouble(record));
      } else if (type == boolean.class) {
        RecordSerializer.write(output, field.getBoolean(record));
      } else if (type == float.class) {
        RecordSerializer.write(output, field.getFloat(record));
      } else if (type == short.class) {
        RecordSerializer.write(output, field.getShort(record));
      } else if (type == byte.class) {
        RecordSerializer.write(output, field.getByte(record));
      } else if (type == char.class) {
        RecordSerializer.write(output, field.getChar(record));
      } else {
        writeReference(kryo, output, field.get(record));
      }
    }

    Object read(Kryo kryo, Input input) {
      if (type == String.class) {
        return readString(input);
      } else if (type == int.class) {
        return readInt(input);
      } else if (type == long.class) {
        return readLong(input);
      } else if (type == double.class) {
        return readDouble(input);
      } else if (type == boolean.class) {
        return readBoolean(input);
      } else if (type == float.class) {
        return readFloat(input);
      } else if (type == short.class) {
        return readShort(input);
      } else if (type == byte.class) {
        return readByte(input);
      } else if (type == char.class) {
        return readChar(input);
      }
      return readReference(kryo, input);
    }
  }

  // The bytes of bare components, for both paths. RecordHandles finds each reader by "read" and its type's name,
  // capitalized.

  /**
   * A string component: 0 for null; n + 2 and then n Latin-1 bytes, one per character, when no character is above
   * U+00FF; 1 and then Kryo's form otherwise. Kryo's own form marks the end of an ASCII string in its last byte,
   * which the reader finds one byte at a time; with the length ahead, the reader copies the bytes at once. Most of a
   * typical payload's time was in its strings.
   */
  @SuppressWarnings("deprecation")
  static void write(Output output, String value) {
    if (value == null) {
      output.writeVarInt(0, true);
      return;
    }
    int length = value.length();
    for (int i = 0; i < length; i++) {
      if (value.charAt(i) > 0xFF) {
        output.writeVarInt(1, true);
        output.writeString(value);
        return;
      }
    }
    output.writeVarInt(length + 2, true);
    byte[] buffer = output.getBuffer();
    int position = output.position();
    if (buffer.length - position >= length) {
      // Copies each character's low byte, which is the character itself for one of Latin-1.
      value.getBytes(0, length, buffer, position);
      output.setPosition(position + length);
    } else {
      output.writeBytes(value.getBytes(StandardCharsets.ISO_8859_1));
    }
  }

  static void write(Output output, int value) {
    output.writeVarInt(value, false);
  }

  static void write(Output output, long value) {
    output.writeVarLong(value, false);
  }

  static void write(Output output, double value) {
    output.writeDouble(value);
  }

  static void write(Output output, boolean value) {
    output.writeBoolean(value);
  }

  static void write(Output output, float value) {
    output.writeFloat(value);
  }

  static void write(Output output, short value) {
    output.writeShort(value);
  }

  static void write(Output output, byte value) {
    output.writeByte(value);
  }

  static void write(Output output, char value) {
    output.writeChar(value);
  }

  static String readString(Input input) {
    int header = input.readVarInt(true);
    if (header == 0) {
      return null;
    } else if (header == 1) {
      return input.readString();
    }
    int length = header - 2;
    int position = input.position();
    if (length < 0 || length > input.limit() - position) {
      throw new KryoException("a string of " + length + " characters runs past the end "
          + "of the bytes");
    }
    String value = new String(input.getBuffer(), position, length, StandardCharsets.ISO_8859_1);
    input.setPosition(position + length);
    return value;
  }

  static int readInt(Input input) {
    return input.readVarInt(false);
  }

  static long readLong(Input input) {
    return input.readVarLong(false);
  }

  static double readDouble(Input input) {
    return input.readDouble();
  }

  static boolean readBoolean(Input input) {
    return input.readBoolean();
  }

  static float readFloat(Input input) {
    return input.readFloat();
  }

  static short readShort(Input input) {
    return input.readShort();
  }

  static byte readByte(Input input) {
    return input.readByte();
  }

  static char readChar(Input input) {
    return input.readChar();
  }

  /**
   * The logger, made on first use, off every worker's warm-up: making it loads SLF4J, which looks up its provider in
   * every jar of the classpath (WarmUpLoadsTest).
   */
  private static final class Slf4j {
    static final Logger LOG = LoggerFactory.getLogger(RecordSerializer.class);
  }
}
