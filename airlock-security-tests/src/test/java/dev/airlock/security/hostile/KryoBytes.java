package dev.airlock.security.hostile;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.io.Output;
import com.esotericsoftware.kryo.kryo5.objenesis.strategy.StdInstantiatorStrategy;
import com.esotericsoftware.kryo.kryo5.util.DefaultInstantiatorStrategy;

/** Hand-made Kryo bytes of the result format, for classes a worker does not have or sizes it would never write. */
public final class KryoBytes {

  private KryoBytes() {
  }

  /** "An object of class {@code name}" written by name, up to where its serializer's own bytes begin. */
  public static byte[] classNamed(String name) {
    return classNamed(name, new Output(256)).toBytes();
  }

  /** A collection of class {@code name} declaring {@code size} elements, all null: none costs a byte to read. */
  public static byte[] collectionOfNulls(String name, int size) {
    Output out = classNamed(name, new Output(256));
    out.writeVarIntFlag(true, size + 1, true); // flag: all elements share one class; then size + 1
    out.writeVarInt(0, true); // that class: none, so every element is null
    return out.toBytes();
  }

  /**
   * The same inside wrappers whose serializers read a class and then an object: {@code names} are the wrappers' classes
   * (an unmodifiable view; an {@code EnumMap} and its key type), then the collection's.
   */
  public static byte[] wrappedCollectionOfNulls(int size, String... names) {
    Output out = classesNamed(names);
    out.writeVarIntFlag(true, size + 1, true);
    out.writeVarInt(0, true);
    return out.toBytes();
  }

  /** A map of class {@code name} declaring {@code size} entries, followed by one null entry. */
  public static byte[] mapDeclaring(String name, int size) {
    return wrappedMapDeclaring(size, name);
  }

  /** The same inside wrappers, as {@link #wrappedCollectionOfNulls}. */
  public static byte[] wrappedMapDeclaring(int size, String... names) {
    Output out = classesNamed(names);
    out.writeVarInt(size + 1, true);
    out.writeVarInt(0, true);
    out.writeVarInt(0, true);
    return out.toBytes();
  }

  /**
   * {@code value} written by a plain Kryo set up like the result format but without its bounds: with references,
   * as results were written before they carried none, or without, to any depth.
   */
  public static byte[] written(Object value, boolean references) {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(false);
    kryo.setReferences(references);
    kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
    kryo.register(Object[].class);
    kryo.register(Class.class);
    Output out = new Output(4096, -1);
    kryo.writeClassAndObject(out, value);
    return out.toBytes();
  }

  /** Each class by name, the first names of the graph in order. */
  private static Output classesNamed(String... names) {
    Output out = new Output(256);
    for (int id = 0; id < names.length; id++) {
      out.writeVarInt(1, true);
      out.writeVarInt(id, true);
      out.writeString(names[id]);
    }
    return out;
  }

  private static Output classNamed(String name, Output out) {
    out.writeVarInt(1, true); // DefaultClassResolver.NAME + 2: the class follows by name
    out.writeVarInt(0, true); // the first name of this graph
    out.writeString(name); // results carry no references, so the object's own bytes follow at once
    return out;
  }
}
