package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.KryoException;
import com.esotericsoftware.kryo.kryo5.Serializer;
import com.esotericsoftware.kryo.kryo5.io.Input;
import com.esotericsoftware.kryo.kryo5.io.Output;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The JDK's unmodifiable views ({@code Collections.unmodifiableList(...)} and its kin) as the collection they show.
 * Kryo's own serializers built a view without what it wraps and then added to it, which the view refuses, so a value
 * holding one crossed neither way. A view is written as a copy of its contents (a list, an insertion-ordered set or
 * map, a sorted set or map with its comparator), read back through the serializers that bound the copy's size and
 * work like any other collection's, and wrapped again in the view its class names.
 */
final class UnmodifiableViewSerializer extends Serializer<Object> {
  /** Every unmodifiable collection view's class extends this one; the maps' extend {@link #MAPS}. */
  static final Class<?> COLLECTIONS = Collections.unmodifiableCollection(List.of()).getClass();
  static final Class<?> MAPS = Collections.unmodifiableMap(Map.of()).getClass();

  @Override
  public void write(Kryo kryo, Output output, Object view) {
    kryo.writeClassAndObject(output, contents(view));
  }

  private static Object contents(Object view) {
    if (view instanceof SortedMap<?, ?> sorted) {
      return new TreeMap<>(sorted);
    } else if (view instanceof Map<?, ?> map) {
      return new LinkedHashMap<>(map);
    } else if (view instanceof SortedSet<?> sorted) {
      return new TreeSet<>(sorted);
    } else if (view instanceof Set<?> set) {
      return new LinkedHashSet<>(set);
    }
    return new ArrayList<>((Collection<?>) view);
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Object read(Kryo kryo, Input input, Class<?> type) {
    Object contents = kryo.readClassAndObject(input);
    if (NavigableMap.class.isAssignableFrom(type) && contents instanceof NavigableMap map) {
      return Collections.unmodifiableNavigableMap(map);
    } else if (SortedMap.class.isAssignableFrom(type) && contents instanceof SortedMap map) {
      return Collections.unmodifiableSortedMap(map);
    } else if (Map.class.isAssignableFrom(type) && contents instanceof Map map) {
      return Collections.unmodifiableMap(map);
    } else if (NavigableSet.class.isAssignableFrom(type) && contents instanceof NavigableSet set) {
      return Collections.unmodifiableNavigableSet(set);
    } else if (SortedSet.class.isAssignableFrom(type) && contents instanceof SortedSet set) {
      return Collections.unmodifiableSortedSet(set);
    } else if (Set.class.isAssignableFrom(type) && contents instanceof Set set) {
      return Collections.unmodifiableSet(set);
    } else if (List.class.isAssignableFrom(type) && contents instanceof List list) {
      return Collections.unmodifiableList(list);
    } else if (!Set.class.isAssignableFrom(type) && !List.class.isAssignableFrom(type)
        && !Map.class.isAssignableFrom(type) && contents instanceof Collection collection) {
      return Collections.unmodifiableCollection(collection);
    }
    throw new KryoException("a " + type.getName() + " cannot show a "
        + (contents == null ? "null" : contents.getClass().getName()));
  }
}
