package dev.airlock.codec;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.KryoException;
import com.esotericsoftware.kryo.kryo5.Serializer;
import com.esotericsoftware.kryo.kryo5.io.Input;
import com.esotericsoftware.kryo.kryo5.io.Output;
import com.esotericsoftware.kryo.kryo5.util.Generics.GenericType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;

/**
 * Records by their components, in declaration order: each component's field is read directly (as Java
 * serialization does, so an accessor that computes or copies is not run), primitives and strings are written bare,
 * and an object is rebuilt through its canonical constructor, looked up once per record class. Kryo's own record
 * serializer calls every accessor reflectively, boxes every primitive and looks its components up per object,
 * which made records slower to ship through Kryo than through Java serialization. Plain reflection rather than method handles: a method handle
 * spins classes on first use, which a fresh single-use worker would pay on its one call. Built the same way on both
 * sides of the wire, so both agree on the bytes. Public with a (Kryo, Class) constructor because Kryo creates one
 * per record class.
 */
public final class RecordSerializer extends Serializer<Record> {
  private final Component[] components;
  private final Constructor<? extends Record> constructor;

  public RecordSerializer(Kryo kryo, Class<? extends Record> type) {
    setImmutable(true);
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

  @Override
  public void write(Kryo kryo, Output output, Record record) {
    try {
      for (Component component : components) {
        component.write(kryo, output, record);
      }
    } catch (IllegalAccessException e) {
      throw new KryoException("reading a component of " + record.getClass().getName() + " failed: " + e, e);
    }
  }

  @Override
  public Record read(Kryo kryo, Input input, Class<? extends Record> type) {
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      values[i] = components[i].read(kryo, input);
    }
    try {
      return constructor.newInstance(values);
    } catch (ReflectiveOperationException | IllegalArgumentException e) {
      throw new KryoException("constructing " + type.getName() + " from " + Arrays.toString(values) + " failed: "
          + e, e);
    }
  }

  /**
   * How one component travels: primitives and strings bare, final types without their class, others with it. A
   * parameterized component ({@code List<Row>}) tells Kryo its type arguments, as Kryo's field serializer does, so
   * the elements of a final type travel without a class each.
   */
  private static final class Component {
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
        output.writeString((String) field.get(record));
      } else if (type == int.class) {
        output.writeVarInt(field.getInt(record), false);
      } else if (type == long.class) {
        output.writeVarLong(field.getLong(record), false);
      } else if (type == double.class) {
        output.writeDouble(field.getDouble(record));
      } else if (type == boolean.class) {
        output.writeBoolean(field.getBoolean(record));
      } else if (type == float.class) {
        output.writeFloat(field.getFloat(record));
      } else if (type == short.class) {
        output.writeShort(field.getShort(record));
      } else if (type == byte.class) {
        output.writeByte(field.getByte(record));
      } else if (type == char.class) {
        output.writeChar(field.getChar(record));
      } else {
        writeReference(kryo, output, field.get(record));
      }
    }

    Object read(Kryo kryo, Input input) {
      if (type == String.class) {
        return input.readString();
      } else if (type == int.class) {
        return input.readVarInt(false);
      } else if (type == long.class) {
        return input.readVarLong(false);
      } else if (type == double.class) {
        return input.readDouble();
      } else if (type == boolean.class) {
        return input.readBoolean();
      } else if (type == float.class) {
        return input.readFloat();
      } else if (type == short.class) {
        return input.readShort();
      } else if (type == byte.class) {
        return input.readByte();
      } else if (type == char.class) {
        return input.readChar();
      }
      return readReference(kryo, input);
    }
  }
}
