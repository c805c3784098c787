package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.KryoException;
import com.esotericsoftware.kryo.kryo5.Registration;
import com.esotericsoftware.kryo.kryo5.Serializer;
import com.esotericsoftware.kryo.kryo5.io.Input;
import com.esotericsoftware.kryo.kryo5.io.Output;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An {@link EnumMap} as its key type and its entries. Kryo's map serializer built one without its key type, which
 * every insertion then refused; the key type is private to {@code java.base}, so it is read off the first key, and
 * an empty map cannot say it. The entries are read through the serializers that bound any map's size and work, and
 * each key is checked against the key type before it is put. A result's EnumMap is charged to the decode's budget
 * one unit per constant of its key type, the slots it allocates.
 */
final class EnumMapSerializer extends Serializer<EnumMap<?, ?>> {

  @Override
  public void write(Kryo kryo, Output output, EnumMap<?, ?> map) {
    if (map.isEmpty()) {
      throw new KryoException("an empty EnumMap cannot be sent, since the JDK does not tell its key type; send "
          + "null or a HashMap instead");
    }
    kryo.writeClass(output, map.keySet().iterator().next().getDeclaringClass());
    kryo.writeClassAndObject(output, new LinkedHashMap<>(map));
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public EnumMap<?, ?> read(Kryo kryo, Input input, Class<? extends EnumMap<?, ?>> type) {
    Registration keys = kryo.readClass(input);
    Class keyType = keys == null ? null : keys.getType();
    if (keyType == null || !keyType.isEnum()) {
      throw new KryoException("an EnumMap's key type must be an enum, not " + keyType);
    }
    if (input instanceof BoundedInput bounded) {
      // An EnumMap holds a slot for every constant of its key type, whatever entries it has: a few bytes naming an
      // enum of hundreds of constants cost the host hundreds of references, so they are charged like a list's.
      bounded.charge(keyType.getEnumConstants().length, "EnumMap key type's constants");
    }
    if (!(kryo.readClassAndObject(input) instanceof Map<?, ?> entries)) {
      throw new KryoException("an EnumMap's entries must be a map");
    }
    EnumMap map = new EnumMap(keyType);
    for (Map.Entry<?, ?> entry : entries.entrySet()) {
      if (!keyType.isInstance(entry.getKey())) {
        throw new KryoException("an EnumMap of " + keyType.getName() + " cannot hold a key of "
            + (entry.getKey() == null ? "null" : entry.getKey().getClass().getName()));
      }
      map.put(entry.getKey(), entry.getValue());
    }
    return map;
  }
}
