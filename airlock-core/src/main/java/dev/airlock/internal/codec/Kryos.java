package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.KryoException;
import com.esotericsoftware.kryo.kryo5.Registration;
import com.esotericsoftware.kryo.kryo5.Serializer;
import com.esotericsoftware.kryo.kryo5.io.Input;
import com.esotericsoftware.kryo.kryo5.io.Output;
import com.esotericsoftware.kryo.kryo5.objenesis.strategy.StdInstantiatorStrategy;
import com.esotericsoftware.kryo.kryo5.serializers.ClosureSerializer;
import com.esotericsoftware.kryo.kryo5.serializers.CollectionSerializer;
import com.esotericsoftware.kryo.kryo5.serializers.DefaultArraySerializers.ObjectArraySerializer;
import com.esotericsoftware.kryo.kryo5.serializers.DefaultArraySerializers.StringArraySerializer;
import com.esotericsoftware.kryo.kryo5.serializers.DefaultSerializers.ArraysAsListSerializer;
import com.esotericsoftware.kryo.kryo5.serializers.DefaultSerializers.BigDecimalSerializer;
import com.esotericsoftware.kryo.kryo5.serializers.DefaultSerializers.BigIntegerSerializer;
import com.esotericsoftware.kryo.kryo5.serializers.DefaultSerializers.ConcurrentSkipListMapSerializer;
import com.esotericsoftware.kryo.kryo5.serializers.DefaultSerializers.LocaleSerializer;
import com.esotericsoftware.kryo.kryo5.serializers.DefaultSerializers.TreeMapSerializer;
import com.esotericsoftware.kryo.kryo5.serializers.DefaultSerializers.TreeSetSerializer;
import com.esotericsoftware.kryo.kryo5.serializers.DefaultSerializers.UUIDSerializer;
import com.esotericsoftware.kryo.kryo5.serializers.ImmutableCollectionsSerializers.JdkImmutableMapSerializer;
import com.esotericsoftware.kryo.kryo5.serializers.ImmutableCollectionsSerializers.JdkImmutableSetSerializer;
import com.esotericsoftware.kryo.kryo5.serializers.MapSerializer;
import com.esotericsoftware.kryo.kryo5.util.DefaultClassResolver;
import com.esotericsoftware.kryo.kryo5.util.DefaultInstantiatorStrategy;
import com.esotericsoftware.kryo.kryo5.util.MapReferenceResolver;
import dev.airlock.internal.backend.GuestText;
import java.io.File;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The Kryo set-ups of the protocol. Invocations (host encodes, worker decodes) keep references, so a captured graph
 * travels as it is. Results are written by the worker without references, as trees, and read by the host through
 * an allowlist, with depth, every declared size and the work of reading bounded; the host knows no lambdas, since
 * reading one would run the capturing class's code. Both sides register the same classes in the same order.
 */
final class Kryos {
  static final int MAX_RESULT_DEPTH = 400;

  static {
    KryoLogging.install();
  }

  /**
   * One for every codec: it holds no state of its own, and its constructor tries to open two JDK internals that
   * {@code java.base} keeps closed, so each construction threw and filled in two exceptions (0.1-0.2 ms of a fresh
   * JVM's CPU each time after the first, in every worker's and every new codec's set-up).
   */
  private static final ClosureSerializer CLOSURES = new ClosureSerializer();

  private Kryos() {
  }

  static Kryo forInvocations(ClassLoader loader) {
    Kryo kryo = common(new Kryo(new DefaultClassResolver(), new ValueAwareReferenceResolver()), true);
    kryo.setClassLoader(loader);
    registerShared(kryo);
    kryo.register(ShippedInvocation.class, new ShippedInvocationSerializer());
    return kryo;
  }

  /**
   * Worker side: writes results as trees, without references, which is the only form the host reads. A shared
   * object is written once per place it appears, so the decoded graph is bounded by the byte count and no
   * {@code hashCode} can be made to visit one object twice; a cycle is refused here, at the depth bound, instead
   * of being sent.
   */
  static Kryo forResultWriting(ClassLoader loader) {
    Kryo kryo = common(new Kryo(new CopyingClassResolver(), null), false);
    kryo.setClassLoader(loader);
    kryo.setMaxDepth(MAX_RESULT_DEPTH);
    registerShared(kryo);
    return kryo;
  }

  /** The allowlist is read per decode from {@code resolver}, so pooled instances can serve any method. */
  static ResultKryo forResults(AllowlistClassResolver resolver) {
    ResultKryo kryo = new ResultKryo(resolver);
    common(kryo, false);
    kryo.setMaxDepth(MAX_RESULT_DEPTH);
    kryo.addDefaultSerializer(ArrayList.class, new BoundedCollectionSerializer());
    kryo.addDefaultSerializer(HashSet.class, new HashedCollectionSerializer());
    kryo.addDefaultSerializer(HashMap.class, new HashedMapSerializer());
    BoundedImmutableListSerializer immutableLists = new BoundedImmutableListSerializer();
    kryo.addDefaultSerializer(List.of().getClass(), immutableLists);
    kryo.addDefaultSerializer(List.of(1).getClass(), immutableLists);
    kryo.addDefaultSerializer(List.of(1, 2, 3, 4).getClass(), immutableLists);
    kryo.addDefaultSerializer(List.of(1, 2, 3, 4).subList(0, 2).getClass(), immutableLists);
    kryo.addDefaultSerializer(String[].class, new BoundedStringArraySerializer());
    kryo.addDefaultSerializer(Object[].class, BoundedObjectArraySerializer.class);
    kryo.addDefaultSerializer(BigInteger.class, new BoundedNumberSerializer<>(new BigIntegerSerializer()));
    kryo.addDefaultSerializer(BigDecimal.class, new BoundedNumberSerializer<>(new BigDecimalSerializer()));
    kryo.addDefaultSerializer(Locale.class, new KnownLocaleSerializer());
    // Same registration order as the writers for the shared ids; lambdas stay unregistered and so refused.
    kryo.register(Object[].class);
    kryo.register(Class.class);
    return kryo;
  }

  private static void registerShared(Kryo kryo) {
    kryo.register(Object[].class);
    kryo.register(Class.class);
    // Kryo's one path to Java deserialization (SerializedLambda.readResolve). Registered only where the bytes are the
    // host's own: invocations the host encodes (read by a worker, or frozen by the host for approval) and the
    // worker's result writer. The host's result reader never has it, so a worker's bytes cannot reach it
    // (CodecTest.refusesALambdaInAResultSoNoJavaDeserializationHookRunsOnTheHost).
    kryo.register(ClosureSerializer.Closure.class, CLOSURES);
  }

  private static Kryo common(Kryo kryo, boolean references) {
    kryo.setRegistrationRequired(false);
    kryo.setReferences(references);
    kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
    // A captured Path or File travels as its name: its JDK internals are closed to reflection, and what it names
    // on the host may not exist in the sandbox (file arguments travel with their content, see ShippedFile).
    kryo.addDefaultSerializer(Path.class, new ByNameSerializer<Path>(Path::toString, Path::of));
    kryo.addDefaultSerializer(File.class, new ByNameSerializer<File>(File::getPath, File::new));
    kryo.addDefaultSerializer(Record.class, RecordSerializer.class);
    // JDK value types whose fields java.base keeps closed to reflection, which Kryo's field serializer needs.
    kryo.addDefaultSerializer(URI.class, new ByNameSerializer<URI>(URI::toString, URI::create));
    kryo.addDefaultSerializer(UUID.class, new UUIDSerializer());
    UnmodifiableViewSerializer views = new UnmodifiableViewSerializer();
    kryo.addDefaultSerializer(UnmodifiableViewSerializer.COLLECTIONS, views);
    kryo.addDefaultSerializer(UnmodifiableViewSerializer.MAPS, views);
    kryo.addDefaultSerializer(EnumMap.class, new EnumMapSerializer());
    return kryo;
  }

  /**
   * The host's result reader. Every object it reads is a visit charged to its {@link BoundedInput}'s budget, and
   * every {@value #CLOCK_EVERY} visits it asks whether the call's deadline passed; hashed collections ask again after
   * every insertion (see {@link #deadlineCheck}), the only work left between two visits.
   */
  static final class ResultKryo extends Kryo {
    private static final int CLOCK_EVERY = 1024;
    private int untilClock = CLOCK_EVERY;
    /** Objects read, ever: the difference across a collection's read is how many lie beneath it. */
    private long visits;
    /** Never true outside {@link Codec#decodeResult}, which sets and clears it around each decode. */
    private BooleanSupplier expired = () -> false;

    ResultKryo(AllowlistClassResolver resolver) {
      super(resolver, null);
    }

    @Override
    public Serializer getDefaultSerializer(Class type) {
      if (Set.class.isAssignableFrom(type) && !SortedSet.class.isAssignableFrom(type)
          && !EnumSet.class.isAssignableFrom(type)) {
        Serializer<?> chosen = super.getDefaultSerializer(type);
        return chosen.getClass() == CollectionSerializer.class ? new HashedCollectionSerializer() : sizeChecked(chosen);
      }
      if (Map.class.isAssignableFrom(type) && !SortedMap.class.isAssignableFrom(type)
          && !EnumMap.class.isAssignableFrom(type)) {
        Serializer<?> chosen = super.getDefaultSerializer(type);
        return chosen.getClass() == MapSerializer.class ? new HashedMapSerializer() : sizeChecked(chosen);
      }
      return sizeChecked(super.getDefaultSerializer(type));
    }

    /** {@code expired} says when the next decode's call's deadline passed. */
    void deadline(BooleanSupplier expired) {
      this.untilClock = CLOCK_EVERY;
      this.expired = expired;
    }

    void noDeadline() {
      this.expired = () -> false;
    }

    /** Throws {@link DeadlineException} once the call's deadline passed. */
    void deadlineCheck() {
      if (expired.getAsBoolean()) {
        throw new DeadlineException();
      }
    }

    /** How many objects this reader has read; see {@link #chargeBeneath}. */
    long visits() {
      return visits;
    }

    /**
     * Charges the hashing budget with the objects read since {@code before} that lie beneath the {@code direct}
     * elements (or keys and values) of the hashed collection just read: hashing it walks them.
     */
    void chargeBeneath(Input input, long before, long direct) {
      ((BoundedInput) input).chargeHashing(Math.max(0, visits - before - direct));
    }

    private void visit(Input input) {
      ((BoundedInput) input).charge(1, "object count");
      visits++;
      if (--untilClock == 0) {
        untilClock = CLOCK_EVERY;
        deadlineCheck();
      }
    }

    @Override
    public <T> T readObject(Input input, Class<T> type) {
      visit(input);
      return super.readObject(input, type);
    }

    @Override
    public <T> T readObject(Input input, Class<T> type, Serializer serializer) {
      visit(input);
      return super.readObject(input, type, serializer);
    }

    @Override
    public <T> T readObjectOrNull(Input input, Class<T> type) {
      visit(input);
      return super.readObjectOrNull(input, type);
    }

    @Override
    public <T> T readObjectOrNull(Input input, Class<T> type, Serializer serializer) {
      visit(input);
      return super.readObjectOrNull(input, type, serializer);
    }

    @Override
    public Object readClassAndObject(Input input) {
      visit(input);
      return super.readClassAndObject(input);
    }
  }

  /** Decoding a result ran past its call's deadline. */
  static final class DeadlineException extends KryoException {
    private static final long serialVersionUID = 1L;

    DeadlineException() {
      super("decoding it ran past the call's deadline");
    }
  }

  /**
   * Tracks identity (so shared objects and cycles survive) for everything but strings and records: they are
   * immutable values whose identity means nothing, and they are most of a typical payload's objects, so tracking
   * them cost a third of a round trip in identity-map work. Invocations use it; results carry no references.
   */
  static final class ValueAwareReferenceResolver extends MapReferenceResolver {
    /** A table this large is kept between graphs instead of growing again for each one. */
    private static final int KEPT_CAPACITY = 4096;

    ValueAwareReferenceResolver() {
      super(KEPT_CAPACITY);
    }

    @Override
    public boolean useReferences(Class type) {
      return type != String.class && !Record.class.isAssignableFrom(type) && super.useReferences(type);
    }
  }

  /** Writes a value as a string and reads it back from one. */
  static final class ByNameSerializer<T> extends Serializer<T> {
    private final Function<T, String> name;
    private final Function<String, T> parse;

    ByNameSerializer(Function<T, String> name, Function<String, T> parse) {
      this.name = name;
      this.parse = parse;
    }

    @Override
    public void write(Kryo kryo, Output output, T value) {
      output.writeString(name.apply(value));
    }

    @Override
    public T read(Kryo kryo, Input input, Class<? extends T> type) {
      return parse.apply(input.readString());
    }
  }

  /**
   * Worker side: writes a JDK list, set or map of a class no code can name, which the host does not read, as the
   * plain class it reads, so that what ordinary code returns crosses as a copy, as a view does
   * ({@link UnmodifiableViewSerializer}): {@code list.subList(0, 10)}, {@code map.values()}, a hash map's
   * {@code keySet()}, {@code Collections.nCopies}, {@code synchronizedList}, {@code checkedList} and
   * {@code Collectors.partitioningBy}'s map were refused by the host by name (attack review 41). Kryo's serializers of
   * those plain classes write any collection or map. A list keeps every element in order, so any such list or
   * collection is copied; a set or a map only where it belongs to a hash map or is a partition, whose keys are equal
   * by {@code equals} as the copy's are (an identity map's key set copied into a {@code LinkedHashSet} would lose
   * keys). Public classes (a {@code Vector}, a {@code Properties}), sorted ones and queues keep their class, and the
   * host's refusal by name, which says what is wrong (attack review 42).
   */
  static final class CopyingClassResolver extends DefaultClassResolver {
    /** Classes whose nested sets and maps hold keys equal by {@code equals}. */
    private static final Set<String> EQUALITY_KEYED = Set.of("java.util.HashMap", "java.util.LinkedHashMap",
        "java.util.Hashtable", "java.util.EnumMap", "java.util.concurrent.ConcurrentHashMap",
        "java.util.stream.Collectors");
    private static final ClassValue<Class<?>> WRITTEN_AS = new ClassValue<>() {
      @Override
      protected Class<?> computeValue(Class<?> type) {
        return writtenAs(type);
      }
    };

    @Override
    @SuppressWarnings("rawtypes")
    public Registration writeClass(Output output, Class type) {
      return super.writeClass(output, type == null ? null : WRITTEN_AS.get(type));
    }

    static Class<?> writtenAs(Class<?> type) {
      boolean equalityKeyed = type.getEnclosingClass() != null
          && EQUALITY_KEYED.contains(type.getEnclosingClass().getName());
      // ConcurrentHashMap.newKeySet()'s KeySetView is public, and its keys are equal by equals all the same.
      if (!ClassAllowlist.isJdk(type) || Modifier.isPublic(type.getModifiers()) && !equalityKeyed
          || ClassAllowlist.isJdkValueType(type.getName())
          || UnmodifiableViewSerializer.COLLECTIONS.isAssignableFrom(type)
          || UnmodifiableViewSerializer.MAPS.isAssignableFrom(type)
          || SortedSet.class.isAssignableFrom(type) || SortedMap.class.isAssignableFrom(type)
          || Queue.class.isAssignableFrom(type)) {
        return type;
      }
      if (Map.class.isAssignableFrom(type)) {
        return equalityKeyed ? LinkedHashMap.class : type;
      }
      if (Set.class.isAssignableFrom(type)) {
        return equalityKeyed ? LinkedHashSet.class : type;
      }
      return Collection.class.isAssignableFrom(type) ? ArrayList.class : type;
    }
  }

  /** Refuses class names outside the current allowlist before any class is looked up. */
  static final class AllowlistClassResolver extends DefaultClassResolver {
    private ClassAllowlist allowlist = ClassAllowlist.of(List.of());
    private final ClassLoader loader;
    /** Classes looked up before, each still checked against the current allowlist first. */
    private final Map<String, Class<?>> loaded = new HashMap<>();

    AllowlistClassResolver(ClassLoader loader) {
      this.loader = loader;
    }

    void allowlist(ClassAllowlist allowlist) {
      this.allowlist = allowlist;
      judged.clear();
    }

    /** Classes read by type, not name, that the current allowlist admits: judged once per decode each. */
    private final Map<Class<?>, Boolean> judged = new java.util.IdentityHashMap<>();

    /**
     * A value of a final type travels without its class name when the declared type of what holds it (a field, a
     * record component, a type argument) says the class, so Kryo asks for its registration by class, never by name.
     * Such a class is judged here as a named one is: a record component of type {@code java.net.URL}, a denied class,
     * made the host build a worker's URL and resolve its host through DNS while hashing it (FinalFieldTypeTest).
     * Kryo's own registrations (primitives, {@code String}, {@code Object[]}, {@code Class}) are not judged.
     */
    @Override
    public Registration getRegistration(Class type) {
      Registration registration = super.getRegistration(type);
      if (registration != null && registration.getId() == NAME) {
        judge(type);
      }
      return registration;
    }

    @Override
    public Registration registerImplicit(Class type) {
      judge(type);
      return super.registerImplicit(type);
    }

    private void judge(Class<?> type) {
      if (judged.containsKey(type)) {
        return;
      }
      String name = type.getName();
      if (!allowlist.allows(name)) {
        throw new RejectedClassException(name);
      }
      String behaviour = RefusedBehaviour.of(type);
      if (behaviour != null) {
        throw new RejectedClassException(name, behaviour);
      }
      judged.put(type, Boolean.TRUE);
    }

    @Override
    protected Class getTypeByName(String className) {
      if (!allowlist.allows(className)) {
        throw new RejectedClassException(className);
      }
      Class<?> known = loaded.get(className);
      if (known != null) {
        return known;
      }
      Class<?> type;
      try {
        if (!allowlist.exactly(className) && !ClassFiles.exist(className, loader)) {
          throw new ClassNotFoundException(className);
        }
        type = Class.forName(className, false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        throw new KryoException("result names class " + className + ", which the host cannot load", e);
      }
      String behaviour = RefusedBehaviour.of(type);
      if (behaviour != null) {
        throw new RejectedClassException(className, behaviour);
      }
      loaded.put(className, type);
      return type;
    }
  }

  /** A result named a class outside the allowlist. */
  static final class RejectedClassException extends KryoException {
    private static final long serialVersionUID = 1L;
    final String className;
    /** Why an admitted class is refused all the same, or {@code null} when it is simply not admitted. */
    final String behaviour;

    RejectedClassException(String className) {
      this(className, null);
    }

    RejectedClassException(String className, String behaviour) {
      super("class " + className + (behaviour == null ? " is not on the result allowlist" : " " + behaviour));
      this.className = className;
      this.behaviour = behaviour;
    }
  }

  /**
   * The size-checking twin of each collection and map serializer Kryo picks by default, same bytes. Kryo reads a
   * collection whose elements are all null without a byte per element, so without the check a few bytes naming a
   * {@code LinkedList}, {@code TreeMap} or {@code Set.of} of a billion entries hang the host and exhaust its heap.
   */
  static Serializer<?> sizeChecked(Serializer<?> serializer) {
    Class<?> type = serializer.getClass();
    if (type.getEnclosingClass() == Kryos.class) {
      return serializer;
    } else if (type == CollectionSerializer.class) {
      return new BoundedCollectionSerializer();
    } else if (type == MapSerializer.class) {
      return new BoundedMapSerializer();
    } else if (type == TreeSetSerializer.class) {
      return new BoundedTreeSetSerializer();
    } else if (type == TreeMapSerializer.class) {
      return new BoundedTreeMapSerializer();
    } else if (type == JdkImmutableSetSerializer.class) {
      return new BoundedImmutableSetSerializer();
    } else if (type == JdkImmutableMapSerializer.class) {
      return new BoundedImmutableMapSerializer();
    } else if (type == ArraysAsListSerializer.class) {
      return new BoundedArraysAsListSerializer();
    } else if (type == ConcurrentSkipListMapSerializer.class) {
      return new BoundedConcurrentSkipListMapSerializer();
    } else if (serializer instanceof CollectionSerializer || serializer instanceof MapSerializer) {
      // Kryo's collection and map serializers allocate for the size a worker declares before reading an element;
      // one without a size-checked twin here (a later Kryo's, or that of a class named in airlock.allowed-classes)
      // is refused rather than trusted.
      throw new KryoException("its " + type.getSimpleName() + " reads a declared size unchecked; return an "
          + "ArrayList, HashMap, TreeMap or another collection Airlock reads with bounds");
    }
    return serializer;
  }

  private static void checkSize(Input input, int size, String what) {
    ((BoundedInput) input).checkDeclared(size, 1, what);
  }

  /**
   * Checks the length an array's bytes begin with (the length plus one) and leaves it to be read. A 0 is a null
   * array, which a serializer that accepts null (Kryo's {@code String[]} one, for a {@code String[]} field) reads
   * itself: a null {@code tags} field of a plain class was refused as an array of -1 elements.
   */
  private static void checkArrayLength(Input input) {
    int start = input.position();
    int length = input.readVarInt(true) - 1;
    input.setPosition(start);
    if (length != -1) {
      checkSize(input, length, "array length");
    }
  }

  static final class BoundedCollectionSerializer extends CollectionSerializer<Collection<Object>> {
    @Override
    protected Collection<Object> create(Kryo kryo, Input input, Class<? extends Collection<Object>> type, int size) {
      checkSize(input, size, "collection size");
      return super.create(kryo, input, type, size);
    }
  }

  static final class BoundedMapSerializer extends MapSerializer<Map<Object, Object>> {
    @Override
    protected Map<Object, Object> create(Kryo kryo, Input input, Class<? extends Map<Object, Object>> type, int size) {
      checkSize(input, size, "map size");
      return super.create(kryo, input, type, size);
    }
  }

  static final class BoundedTreeSetSerializer extends TreeSetSerializer {
    @Override
    protected TreeSet create(Kryo kryo, Input input, Class<? extends TreeSet> type, int size) {
      checkSize(input, size, "set size");
      return super.create(kryo, input, type, size);
    }
  }

  static final class BoundedArraysAsListSerializer extends ArraysAsListSerializer {
    @Override
    @SuppressWarnings("rawtypes")
    protected List create(Kryo kryo, Input input, Class type, int size) {
      checkSize(input, size, "list size");
      return super.create(kryo, input, type, size);
    }
  }

  static final class BoundedConcurrentSkipListMapSerializer extends ConcurrentSkipListMapSerializer {
    @Override
    protected ConcurrentSkipListMap create(Kryo kryo, Input input, Class<? extends ConcurrentSkipListMap> type,
        int size) {
      checkSize(input, size, "map size");
      return super.create(kryo, input, type, size);
    }
  }

  static final class BoundedTreeMapSerializer extends TreeMapSerializer {
    @Override
    protected TreeMap create(Kryo kryo, Input input, Class<? extends TreeMap> type, int size) {
      checkSize(input, size, "map size");
      return super.create(kryo, input, type, size);
    }
  }

  /**
   * A set read into a list first and admitted to its set only after {@link HashFlood#check} has seen its hash codes:
   * inserting elements that share one hash code compares each with all before it, which no visit count sees.
   */
  abstract static class StagedSetSerializer extends CollectionSerializer<Collection<Object>> {
    @Override
    protected Collection<Object> create(Kryo kryo, Input input, Class<? extends Collection<Object>> type, int size) {
      checkSize(input, size, "set size");
      return new ArrayList<>(size);
    }

    @Override
    public Collection<Object> read(Kryo kryo, Input input, Class<? extends Collection<Object>> type) {
      ResultKryo reader = (ResultKryo) kryo;
      long before = reader.visits();
      Collection<Object> staged = super.read(kryo, input, type);
      if (staged == null) {
        return null;
      }
      reader.chargeBeneath(input, before, staged.size());
      return admit(staged, reader, input, type);
    }

    /** The set made of elements {@code staged} has read, not yet hashed. */
    abstract Collection<Object> admit(Collection<Object> staged, ResultKryo reader, Input input,
        Class<? extends Collection<Object>> type);

    /** A new, empty collection of {@code type}, as Kryo makes one (the staging list is {@link #create}'s). */
    final Collection<Object> newOf(Kryo kryo, Input input, Class<? extends Collection<Object>> type, int size) {
      return super.create(kryo, input, type, size);
    }

    /** Hashes the elements into {@code set}, asking for the deadline after each insertion. */
    static <S extends Collection<Object>> S insert(Collection<Object> staged, S set, ResultKryo reader) {
      for (Object element : staged) {
        set.add(element);
        reader.deadlineCheck();
      }
      return set;
    }
  }

  /** A hashed set of a concrete class ({@code HashSet}, {@code LinkedHashSet}, ...). */
  static final class HashedCollectionSerializer extends StagedSetSerializer {
    @Override
    Collection<Object> admit(Collection<Object> staged, ResultKryo reader, Input input,
        Class<? extends Collection<Object>> type) {
      HashFlood.check(staged, true, reader);
      return insert(staged, newOf(reader, input, type, staged.size()), reader);
    }
  }

  /** A hashed map, staged and checked like {@link HashedCollectionSerializer}. */
  static final class HashedMapSerializer extends MapSerializer<Map<Object, Object>> {
    @Override
    protected Map<Object, Object> create(Kryo kryo, Input input, Class<? extends Map<Object, Object>> type, int size) {
      checkSize(input, size, "map size");
      return new StagedEntries(size);
    }

    @Override
    public Map<Object, Object> read(Kryo kryo, Input input, Class<? extends Map<Object, Object>> type) {
      ResultKryo reader = (ResultKryo) kryo;
      long before = reader.visits();
      Map<Object, Object> staged = super.read(kryo, input, type);
      if (staged == null) {
        return null;
      }
      StagedEntries entries = (StagedEntries) staged;
      // Values are not hashed, but which objects are a key's is not known here: all beneath the entries are charged.
      reader.chargeBeneath(input, before, 2L * entries.keys.size());
      HashFlood.check(entries.keys, true, reader);
      Map<Object, Object> map = super.create(kryo, input, type, entries.keys.size());
      entries.putInto(map, reader);
      return map;
    }
  }

  /** The entries of a map as Kryo reads them, in order, not yet hashed. */
  static final class StagedEntries extends AbstractMap<Object, Object> {
    final List<Object> keys;
    final List<Object> values;

    StagedEntries(int size) {
      keys = new ArrayList<>(size);
      values = new ArrayList<>(size);
    }

    @Override
    public Object put(Object key, Object value) {
      keys.add(key);
      values.add(value);
      return null;
    }

    /** Hashes the entries into {@code map}, asking for the deadline after each insertion. */
    void putInto(Map<Object, Object> map, ResultKryo reader) {
      for (int i = 0; i < keys.size(); i++) {
        map.put(keys.get(i), values.get(i));
        reader.deadlineCheck();
      }
    }

    @Override
    public Set<Entry<Object, Object>> entrySet() {
      throw new UnsupportedOperationException("staged entries are read once, by position");
    }
  }

  /** Reads the JDK's {@code Set.of} sets in the format Kryo writes them, without trusting the declared size. */
  static final class BoundedImmutableSetSerializer extends StagedSetSerializer {
    BoundedImmutableSetSerializer() {
      setElementsCanBeNull(false);
    }

    @Override
    Collection<Object> admit(Collection<Object> staged, ResultKryo reader, Input input,
        Class<? extends Collection<Object>> type) {
      // Set.copyOf probes with equals alone, so here even colliding JDK values would compare pairwise.
      HashFlood.check(staged, false, reader);
      return Set.of(insert(staged, new HashSet<>(), reader).toArray());
    }
  }

  /** Reads the JDK's {@code Map.of} maps in the format Kryo writes them, without trusting the declared size. */
  static final class BoundedImmutableMapSerializer extends MapSerializer<Map<Object, Object>> {
    BoundedImmutableMapSerializer() {
      setKeysCanBeNull(false);
      setValuesCanBeNull(false);
    }

    @Override
    protected Map<Object, Object> create(Kryo kryo, Input input, Class<? extends Map<Object, Object>> type,
        int size) {
      checkSize(input, size, "map size");
      return new StagedEntries(size);
    }

    @Override
    public Map<Object, Object> read(Kryo kryo, Input input, Class<? extends Map<Object, Object>> type) {
      ResultKryo reader = (ResultKryo) kryo;
      long before = reader.visits();
      Map<Object, Object> staged = super.read(kryo, input, type);
      if (staged == null) {
        return null;
      }
      StagedEntries entries = (StagedEntries) staged;
      // Values are not hashed, but which objects are a key's is not known here: all beneath the entries are charged.
      reader.chargeBeneath(input, before, 2L * entries.keys.size());
      HashFlood.check(entries.keys, false, reader);
      Map<Object, Object> map = new HashMap<>();
      entries.putInto(map, reader);
      return Map.copyOf(map);
    }
  }

  /** Reads the JDK's {@code List.of} lists in the format Kryo writes them, without trusting the declared size. */
  static final class BoundedImmutableListSerializer extends CollectionSerializer<List<Object>> {
    BoundedImmutableListSerializer() {
      setElementsCanBeNull(false);
    }

    @Override
    protected List<Object> create(Kryo kryo, Input input, Class<? extends List<Object>> type, int size) {
      checkSize(input, size, "list size");
      return new ArrayList<>(size);
    }

    @Override
    public List<Object> read(Kryo kryo, Input input, Class<? extends List<Object>> type) {
      List<Object> list = super.read(kryo, input, type);
      return list == null ? null : List.copyOf(list);
    }
  }

  /** Kryo's {@code String[]} format, without trusting the declared length. */
  static final class BoundedStringArraySerializer extends StringArraySerializer {
    @Override
    @SuppressWarnings("rawtypes")
    public String[] read(Kryo kryo, Input input, Class type) {
      checkArrayLength(input);
      return super.read(kryo, input, type);
    }
  }

  /**
   * Kryo's {@code BigInteger} and {@code BigDecimal} formats, refusing a magnitude over {@value #MAX_NUMBER_BYTES}
   * bytes (about 9,800 decimal digits) or a scale beyond {@value #MAX_SCALE}. Their bytes are cheap to read, but
   * comparing, hashing or printing them is superlinear: a {@code TreeSet} orders two {@code BigDecimal}s of other
   * scales by computing their precision through {@code 10^digits}, seconds for one 8 MiB number in one insertion.
   * Real amounts, identifiers and measurements are far below these bounds; larger numbers travel as strings.
   */
  static final class BoundedNumberSerializer<T extends Number> extends Serializer<T> {
    static final int MAX_NUMBER_BYTES = 4096;
    static final int MAX_SCALE = 10_000;
    private final Serializer<T> delegate;

    BoundedNumberSerializer(Serializer<T> delegate) {
      super(false, true);
      this.delegate = delegate;
    }

    @Override
    public void write(Kryo kryo, Output output, T number) {
      delegate.write(kryo, output, number);
    }

    @Override
    public T read(Kryo kryo, Input input, Class<? extends T> type) {
      int start = input.position();
      // Both formats start with the magnitude's byte count plus one (0 for null).
      int length = input.readVarInt(true) - 1;
      input.setPosition(start);
      if (length > MAX_NUMBER_BYTES) {
        throw new KryoException("a " + type.getSimpleName() + " of " + length + " bytes exceeds the "
            + MAX_NUMBER_BYTES + " bytes a result's number may have; return a very large number as a String");
      }
      T number = delegate.read(kryo, input, type);
      if (number instanceof BigDecimal decimal && Math.abs((long) decimal.scale()) > MAX_SCALE) {
        throw new KryoException("a BigDecimal of scale " + decimal.scale() + " exceeds the " + MAX_SCALE
            + " a result's number may have; return it as a String");
      }
      return number;
    }
  }

  /**
   * A result's locale, only when the JDK knows it: one of its available locales, or an ISO language and country
   * without a variant. The JDK keeps every locale it builds in a cache of its own, after the result is gone: 300,000
   * made-up variants in a 2.7 MB result kept 67 MiB of the host's heap, and more with every call, until the JVM ran
   * short enough of memory to clear it (LocaleCacheGrowthTest). Refused before it is built.
   */
  static final class KnownLocaleSerializer extends LocaleSerializer {
    private static final Set<String> LANGUAGES = Set.of(Locale.getISOLanguages());
    private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());

    @Override
    protected Locale create(String language, String country, String variant) {
      boolean iso = variant.isEmpty() && (language.isEmpty() || LANGUAGES.contains(language))
          && (country.isEmpty() || COUNTRIES.contains(country));
      if (!iso && !Available.LOCALES.contains(List.of(language, country, variant))) {
        throw new KryoException("a Locale " + GuestText.escape(language + "_" + country + "_" + variant, 64)
            + " is not one the JDK knows (an available locale, or an ISO language and country without a "
            + "variant), and the JDK keeps every Locale it builds; return its language tag as a String");
      }
      return super.create(language, country, variant);
    }

    /**
     * Listed on first need only: the JDK's available locales take 100-150 ms of a fresh JVM to list (every locale
     * provider is loaded), and the result reader is built at start, beside the first worker's start.
     */
    private static final class Available {
      static final Set<List<String>> LOCALES = Arrays.stream(Locale.getAvailableLocales())
          .map(locale -> List.of(locale.getLanguage(), locale.getCountry(), locale.getVariant()))
          .collect(Collectors.toUnmodifiableSet());
    }
  }

  /** Public with a (Kryo, Class) constructor because Kryo creates one per array type by reflection. */
  public static final class BoundedObjectArraySerializer extends Serializer<Object[]> {
    private final ObjectArraySerializer delegate;

    public BoundedObjectArraySerializer(Kryo kryo, Class<Object[]> type) {
      // As Kryo's, which writes the worker's arrays: an array of arrays then has no null flag before each element.
      super(true);
      this.delegate = new ObjectArraySerializer(kryo, type);
    }

    @Override
    public void write(Kryo kryo, Output output, Object[] object) {
      delegate.write(kryo, output, object);
    }

    @Override
    public Object[] read(Kryo kryo, Input input, Class<? extends Object[]> type) {
      checkArrayLength(input);
      return delegate.read(kryo, input, type);
    }
  }

}
