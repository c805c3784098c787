package dev.airlock.codec;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.KryoException;
import com.esotericsoftware.kryo.kryo5.Serializer;
import com.esotericsoftware.kryo.kryo5.io.Input;
import com.esotericsoftware.kryo.kryo5.io.Output;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;

/**
 * Records by their components, in declaration order, with accessors and the canonical constructor looked up once
 * per record class, and primitive and string components written bare. Kryo's own record serializer looks them up
 * for every object and routes every component through its generic-type machinery, which made records slower to
 * ship through Kryo than through Java serialization. Plain reflection rather than method handles: a method handle
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
        Method accessor = declared[i].getAccessor();
        accessor.setAccessible(true);
        components[i] = new Component(declared[i].getType(), kryo, accessor);
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
    for (Component component : components) {
      Object value;
      try {
        value = component.accessor.invoke(record);
      } catch (IllegalAccessException | InvocationTargetException e) {
        throw new KryoException("reading a component of " + record.getClass().getName() + " failed: " + e, e);
      }
      component.write(kryo, output, value);
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

  /** How one component travels: primitives and strings bare, final types without their class, others with it. */
  private static final class Component {
    private final Class<?> type;
    private final Method accessor;
    private final boolean knownType;

    Component(Class<?> type, Kryo kryo, Method accessor) {
      this.type = type;
      this.accessor = accessor;
      this.knownType = !type.isPrimitive() && type != String.class && Modifier.isFinal(type.getModifiers())
          && !type.isArray() && kryo.isFinal(type);
    }

    void write(Kryo kryo, Output output, Object value) {
      if (type == String.class) {
        output.writeString((String) value);
      } else if (type == int.class) {
        output.writeVarInt((Integer) value, false);
      } else if (type == long.class) {
        output.writeVarLong((Long) value, false);
      } else if (type == double.class) {
        output.writeDouble((Double) value);
      } else if (type == boolean.class) {
        output.writeBoolean((Boolean) value);
      } else if (type == float.class) {
        output.writeFloat((Float) value);
      } else if (type == short.class) {
        output.writeShort((Short) value);
      } else if (type == byte.class) {
        output.writeByte((Byte) value);
      } else if (type == char.class) {
        output.writeChar((Character) value);
      } else if (knownType) {
        kryo.writeObjectOrNull(output, value, type);
      } else {
        kryo.writeClassAndObject(output, value);
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
      } else if (knownType) {
        return kryo.readObjectOrNull(input, type);
      }
      return kryo.readClassAndObject(input);
    }
  }
}
