package dev.airlock.internal.guard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.airlock.AirlockPolicy.Masking;
import dev.airlock.SandboxedCodeException;
import dev.airlock.internal.guard.SecretKeys.Detector;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.text.Normalizer;
import java.time.Duration;
import java.time.temporal.TemporalAccessor;
import java.util.AbstractMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Cleans what goes back to a model: every string in a result (also inside lists, sets, maps, arrays, records,
 * {@code Optional}, map entries, {@code char[]}, {@code byte[]}, string builders and the fields of plain objects) and
 * every message of a thrown exception, its causes and suppressed exceptions, has secrets and personal data replaced;
 * strings over a size are truncated with a marker, before they are scanned.
 *
 * <p>Fail closed: a value the masker cannot walk or rebuild (a JDK object it does not know, a known one that prints a
 * secret, a record whose masked component does not fit, a walk deeper than 64 or over a million values) is refused
 * with {@link MaskingRefusedException}, never returned as it was. Every pattern is linear (bounded, possessive
 * repetitions), and a walk that passes its deadline (one for the whole result) returns a fully redacted string or
 * is refused.
 *
 * <p>Masking catches accidents (a password in an error message, a key in a log line), not a hostile guest: code that
 * wants to leak a secret encodes it first (base64, spelled out, split across values) and no pattern sees it.
 */
final class OutputMasker {

  /** How long masking one result or exception may take on the caller's thread. */
  static final Duration DEADLINE = Duration.ofSeconds(2);
  static final String OVERRUN = "[REDACTED: masking did not finish in time]";
  private static final String OVERRUN_MESSAGE = "masking passed its deadline";
  private static final int MAX_DEPTH = 64;
  private static final int MAX_VALUES = 1_000_000;
  /**
   * How many times their text a result's strings may be in NFKC form, plus {@link #NORMAL_GROWTH_SLACK} characters:
   * ordinary text barely grows (a ligature {@code ﬁ} becomes {@code fi}), while one compatibility character becomes
   * up to 18 ({@code U+FDFA}).
   */
  private static final int MAX_NORMAL_GROWTH = 2;
  private static final int NORMAL_GROWTH_SLACK = 64 * 1024;
  /** The pieces a long string's normal form is measured in: each is normalized alone, costing at most 18 times this. */
  private static final int NORMAL_MEASURE_CHARS = 4096;

  private static final String NOT_IN_WORD = "(?<![\\w-])";
  private static final String END_OF_WORD = "(?![\\w-])";
  /** The secrets of {@link SecretKeys}, then personal data. */
  private static final List<Detector> DETECTORS = Stream.concat(SecretKeys.DETECTORS.stream(), Stream.of(
      // The label group may give back (at most 8 steps): a possessive one swallowed the full stop after
      // "ann@example.com." and then found no top-level domain, so an address ending a sentence went unmasked.
      new Detector("EMAIL", Pattern.compile("(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}+@"
          + "(?:[A-Za-z0-9-]{1,63}+\\.){1,8}[A-Za-z]{2,24}+(?![A-Za-z0-9-])")),
      new Detector("CARD_NUMBER", Pattern.compile(NOT_IN_WORD + "\\d(?:[ -]?\\d){12,18}" + END_OF_WORD),
          OutputMasker::luhn),
      // An address is not part of a longer dotted number such as a version 1.2.3.4.5.
      new Detector("IP_ADDRESS", Pattern.compile("(?<![\\w.-])"
          + "(?:(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)(?![\\w-]|\\.\\d)")),
      new Detector("PHONE", Pattern.compile(NOT_IN_WORD + "\\+?\\(?\\d{1,4}\\)?(?:[ .-]?\\(?\\d{2,4}\\)?){2,4}"
          + END_OF_WORD), s -> {
            long digits = s.chars().filter(Character::isDigit).count();
            return digits >= 9 && digits <= 15 && (s.startsWith("+") || s.matches(".*[ .()-].*"));
          }))).toList();

  /** Values that hold no text a secret could be in. */
  private static final Set<Class<?>> PLAIN_VALUES = Set.of(Boolean.class, Character.class, UUID.class, Class.class);
  /**
   * JDK types the masker does not walk but may print: their text is their data, about as long as their bytes on
   * the wire. Any other JDK type is refused unprinted, since its text may outgrow its data without bound (a
   * {@code BitSet} prints every set bit's index: 8 MiB became 700 M chars).
   */
  private static final List<Class<?>> PRINTABLE_JDK_TYPES = List.of(java.net.URI.class, java.net.URL.class,
      java.io.File.class, java.nio.file.Path.class, java.util.Locale.class, java.util.Currency.class,
      java.util.Date.class, java.util.TimeZone.class, java.time.ZoneId.class, java.time.Period.class,
      Pattern.class, java.net.InetAddress.class, java.nio.charset.Charset.class);

  private static final byte[] PROCESS_KEY = randomKey();

  private final Masking masking;
  private final int maxChars;
  private final byte[] hashKey;
  private final Duration deadline;
  private long deadlineNanos;
  private ScanLimit limit;
  private int values;
  /** The characters of the result's strings scanned so far, and of their NFKC forms. */
  private long textChars;
  private long normalChars;

  OutputMasker(Masking masking, int maxChars) {
    this(masking, maxChars, null);
  }

  /** @param hashKey the HMAC key of {@link Masking#HASH}; {@code null} takes a random key made per process */
  OutputMasker(Masking masking, int maxChars, byte[] hashKey) {
    this(masking, maxChars, hashKey, DEADLINE);
  }

  OutputMasker(Masking masking, int maxChars, byte[] hashKey, Duration deadline) {
    this.masking = masking;
    this.maxChars = maxChars;
    this.hashKey = hashKey == null ? PROCESS_KEY : hashKey.clone();
    this.deadline = deadline;
  }

  /** The cleaned value; throws {@link MaskingRefusedException} for one it cannot clean. */
  Object clean(Object value) {
    if (masking == Masking.NONE && maxChars == 0) {
      return value;
    }
    start();
    try {
      return clean(value, 0, new IdentityHashMap<>());
    } catch (ScanLimit.Overrun e) {
      if (value instanceof String || value instanceof CharSequence) {
        return OVERRUN;
      }
      throw new MaskingRefusedException("the result could not be masked within " + deadline.toMillis()
          + " ms, so it is withheld");
    }
  }

  /**
   * The exception the caller sees: the same one when no message in it (or its causes and suppressed exceptions)
   * changes; else a copy of the same type with masked messages, or a {@link MaskingRefusedException} naming the type
   * when it cannot be rebuilt.
   */
  Throwable clean(Throwable thrown) {
    if (masking == Masking.NONE && maxChars == 0) {
      return thrown;
    }
    start();
    try {
      return cleanThrowable(thrown, 0, new IdentityHashMap<>());
    } catch (ScanLimit.Overrun e) {
      return refused(thrown, "its message could not be masked within " + deadline.toMillis() + " ms");
    } catch (MaskingRefusedException e) {
      // Returned, not thrown, as every other exception the masker cannot clean: the caller rethrows it.
      return refused(thrown, e.getMessage());
    }
  }

  private void start() {
    deadlineNanos = System.nanoTime() + deadline.toNanos();
    limit = ScanLimit.until(deadlineNanos, OVERRUN_MESSAGE);
    values = 0;
    textChars = 0;
    normalChars = 0;
  }

  /**
   * The deadline is one for the whole result: checked at every value and string, since a scan polls the clock only
   * every 4096 characters and many short strings would each stay below that.
   */
  private void checkDeadline() {
    if (System.nanoTime() - deadlineNanos > 0) {
      throw new ScanLimit.Overrun(OVERRUN_MESSAGE);
    }
  }

  private Throwable cleanThrowable(Throwable t, int depth, Map<Throwable, Throwable> seen) {
    Throwable done = seen.get(t);
    if (done != null) {
      return done;
    }
    if (depth > MAX_DEPTH) {
      return refused(t, "its causes nest deeper than " + MAX_DEPTH);
    }
    seen.put(t, t);
    checkDeadline();
    String message = t.getMessage();
    String masked = message == null ? null : maskWithin(truncate(message));
    Throwable cause = t.getCause() == null || t.getCause() == t ? null : cleanThrowable(t.getCause(), depth + 1, seen);
    Throwable[] suppressed = t.getSuppressed();
    Throwable[] cleanSuppressed = new Throwable[suppressed.length];
    boolean changed = !java.util.Objects.equals(message, masked) || cause != t.getCause();
    for (int i = 0; i < suppressed.length; i++) {
      cleanSuppressed[i] = cleanThrowable(suppressed[i], depth + 1, seen);
      changed |= cleanSuppressed[i] != suppressed[i];
    }
    if (!changed) {
      return t;
    }
    Throwable copy = rebuild(t, masked, cause);
    copy.setStackTrace(t.getStackTrace());
    for (Throwable s : cleanSuppressed) {
      copy.addSuppressed(s);
    }
    seen.put(t, copy);
    return copy;
  }

  /**
   * A new throwable of {@code t}'s type through its public (message, cause) or (message) constructor. A tool's
   * exception from the sandbox keeps its remote class and stack; its remote message is masked like the message.
   */
  private Throwable rebuild(Throwable t, String message, Throwable cause) {
    Class<? extends Throwable> type = t.getClass();
    if (type == SandboxedCodeException.class) {
      SandboxedCodeException remote = (SandboxedCodeException) t;
      String remoteMessage = remote.remoteMessage() == null ? null : maskWithin(truncate(remote.remoteMessage()));
      return new SandboxedCodeException(message, remote.remoteClassName(), remoteMessage, remote.remoteStackTrace(),
          cause);
    }
    try {
      Throwable copy = type.getConstructor(String.class, Throwable.class).newInstance(message, cause);
      if (copy.getCause() == cause) {
        return copy;
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      // no such constructor: try the message-only one
    }
    try {
      Throwable copy = type.getConstructor(String.class).newInstance(message);
      if (cause != null && copy.getCause() == null) {
        copy.initCause(cause);
      }
      return copy;
    } catch (ReflectiveOperationException | RuntimeException e) {
      MaskingRefusedException refused = new MaskingRefusedException(type.getName() + ": " + message);
      if (cause != null) {
        refused.initCause(cause);
      }
      return refused;
    }
  }

  private static MaskingRefusedException refused(Throwable t, String why) {
    return new MaskingRefusedException("a " + t.getClass().getName() + " was withheld: " + why);
  }

  private Object clean(Object value, int depth, Map<Object, Object> seen) {
    if (value == null || PLAIN_VALUES.contains(value.getClass()) || value instanceof Number || value instanceof Enum<?>
        || value instanceof TemporalAccessor || value instanceof Duration) {
      return value;
    }
    if (depth > MAX_DEPTH || ++values > MAX_VALUES) {
      throw new MaskingRefusedException("the result nests deeper than " + MAX_DEPTH + " or holds more than "
          + MAX_VALUES + " values; it is withheld rather than returned unmasked");
    }
    checkDeadline();
    if (value instanceof String s) {
      return maskWithin(truncate(s));
    }
    Object done = seen.get(value);
    if (done != null) {
      return done;
    }
    Object cleaned = cleanStructure(value, depth, seen);
    seen.put(value, cleaned);
    return cleaned;
  }

  private Object cleanStructure(Object value, int depth, Map<Object, Object> seen) {
    if (value instanceof StringBuilder sb) {
      return new StringBuilder((String) clean(sb.toString(), depth, seen));
    }
    if (value instanceof StringBuffer sb) {
      return new StringBuffer((String) clean(sb.toString(), depth, seen));
    }
    if (value instanceof CharSequence cs) {
      return clean(cs.toString(), depth, seen);
    }
    if (value instanceof char[] chars) {
      return ((String) clean(new String(chars), depth, seen)).toCharArray();
    }
    if (value instanceof byte[] bytes) {
      // Latin-1 maps each byte to one char and back, so binary data that holds no secret comes back unchanged.
      String text = new String(bytes, StandardCharsets.ISO_8859_1);
      String masked = (String) clean(text, depth, seen);
      return masked.equals(text) ? bytes : masked.getBytes(StandardCharsets.ISO_8859_1);
    }
    if (value.getClass().isArray() && value.getClass().getComponentType().isPrimitive()) {
      return value;
    }
    if (value instanceof Optional<?> optional) {
      return optional.map(v -> clean(v, depth + 1, seen));
    }
    if (value instanceof Map.Entry<?, ?> entry) {
      return new AbstractMap.SimpleImmutableEntry<>(clean(entry.getKey(), depth + 1, seen),
          cleanNamed(entry.getKey(), entry.getValue(), depth + 1, seen));
    }
    if (value instanceof Collection<?> c) {
      Collection<Object> out = emptyLike(c);
      c.forEach(v -> out.add(clean(v, depth + 1, seen)));
      return out;
    }
    if (value instanceof Map<?, ?> map) {
      Map<Object, Object> out = emptyLike(map);
      map.forEach((k, v) -> out.put(clean(k, depth + 1, seen), cleanNamed(k, v, depth + 1, seen)));
      return out;
    }
    if (value.getClass().isArray()) {
      Object out = Array.newInstance(value.getClass().getComponentType(), Array.getLength(value));
      for (int i = 0; i < Array.getLength(value); i++) {
        Array.set(out, i, clean(Array.get(value, i), depth + 1, seen));
      }
      return out;
    }
    if (value instanceof Record record) {
      return rebuild(record, depth, seen);
    }
    if (value instanceof Throwable t) {
      return cleanThrowable(t, depth + 1, new IdentityHashMap<>());
    }
    return cleanFields(value, depth, seen);
  }

  /**
   * An empty collection for the masked copy of {@code c}, of the JDK kind its caller may rely on: a tool declared to
   * return a {@code TreeSet} or {@code Deque}, or a record holding one, needs that type back (a caller's cast, a
   * canonical constructor), and a sorted set keeps its order. Anything else becomes a list or an ordered set.
   */
  @SuppressWarnings("unchecked")
  private static Collection<Object> emptyLike(Collection<?> c) {
    if (c instanceof EnumSet<?> e) {
      EnumSet<?> copy = e.clone();
      copy.clear();
      return (Collection<Object>) (Collection<?>) copy;
    }
    if (c instanceof SortedSet<?> sorted) {
      Comparator<Object> order = (Comparator<Object>) sorted.comparator();
      return c instanceof ConcurrentSkipListSet<?> ? new ConcurrentSkipListSet<>(order) : new TreeSet<>(order);
    }
    if (c instanceof LinkedList<?>) {
      return new LinkedList<>();
    }
    if (c instanceof Deque<?>) {
      return new ArrayDeque<>(c.size());
    }
    if (c instanceof CopyOnWriteArrayList<?>) {
      return new CopyOnWriteArrayList<>();
    }
    if (c instanceof Set<?>) {
      return c instanceof HashSet<?> && !(c instanceof LinkedHashSet<?>) ? new HashSet<>() : new LinkedHashSet<>();
    }
    return new ArrayList<>(c.size());
  }

  /** An empty map for the masked copy of {@code map}, of its JDK kind and order (see {@link #emptyLike(Collection)}). */
  @SuppressWarnings("unchecked")
  private static Map<Object, Object> emptyLike(Map<?, ?> map) {
    if (map instanceof EnumMap<?, ?> e) {
      EnumMap<?, ?> copy = e.clone();
      copy.clear();
      return (Map<Object, Object>) (Map<?, ?>) copy;
    }
    if (map instanceof SortedMap<?, ?> sorted) {
      Comparator<Object> order = (Comparator<Object>) sorted.comparator();
      return map instanceof ConcurrentSkipListMap<?, ?> ? new ConcurrentSkipListMap<>(order) : new TreeMap<>(order);
    }
    if (map instanceof ConcurrentHashMap<?, ?>) {
      return new ConcurrentHashMap<>();
    }
    return map instanceof HashMap<?, ?> && !(map instanceof LinkedHashMap<?, ?>) ? new HashMap<>()
        : new LinkedHashMap<>();
  }

  /**
   * A value held under a name (a map key, a record component, a field): when the name says it is a secret
   * ({@code password}, {@code DB_PASSWORD}, {@code apiKey}: a word of {@link SecretKeys#WORDS}) and the value is
   * text or bytes, the whole of it is replaced, as the value after {@code DB_PASSWORD=} is in a string; the
   * elements of a list, set, array or optional held there are held under the name too. Else the value is cleaned as
   * any other. A secret with no shape of its own ({@code System.getenv()}'s AWS secret key, a
   * {@code Credentials} record's password) passed unmasked as a map or a record, while the JSON an MCP server made of
   * it, {@code "DB_PASSWORD":"..."}, would have been masked as text.
   */
  private Object cleanNamed(Object name, Object value, int depth, Map<Object, Object> seen) {
    if (masking != Masking.NONE && value != null && secretName(name)) {
      String secret = value instanceof char[] chars ? new String(chars)
          : value instanceof CharSequence cs ? cs.toString()
          : value instanceof byte[] bytes ? new String(bytes, StandardCharsets.ISO_8859_1) : null;
      // As in text: at least three characters, and not what the masker itself wrote in a secret's place.
      if (secret != null && secret.length() >= 3 && !SecretKeys.isReplacement(secret)) {
        checkDeadline();
        String replaced = replacement("PASSWORD", secret);
        return value instanceof String ? replaced
            : value instanceof StringBuilder ? new StringBuilder(replaced)
            : value instanceof StringBuffer ? new StringBuffer(replaced)
            : value instanceof char[] ? replaced.toCharArray()
            : value instanceof byte[] ? replaced.getBytes(StandardCharsets.ISO_8859_1) : replaced;
      }
      if (value instanceof Optional<?> || value instanceof Collection<?> || value instanceof ArrayNode
          || value.getClass().isArray() && !value.getClass().getComponentType().isPrimitive()) {
        return secretsHeld(name, value, depth, seen);
      }
      if (value instanceof TextNode node) {
        // Jackson keeps a text node's text in a field of no secret's name: {"password": "..."} as a JsonNode passed
        // as it was, while the same JSON as a string is masked.
        return cleanNamed(name, node.textValue(), depth, seen) instanceof String text ? TextNode.valueOf(text) : node;
      }
    }
    return clean(value, depth, seen);
  }

  /**
   * Whether a map key, record component or field name says its value is a secret. An enum constant names it as a
   * string does ({@code EnumMap} of settings): only text keys were read, and {@code PASSWORD=hunter2} passed.
   */
  private static boolean secretName(Object name) {
    String text = name instanceof CharSequence cs ? cs.toString() : name instanceof Enum<?> e ? e.name() : null;
    return text != null && SecretKeys.wordIn(text).isPresent();
  }

  /**
   * The elements of a container held under a secret's name ({@code "apiKeys": [...]}, an {@code Optional}, an array),
   * each held under that name too: only text held directly was masked, and a list of keys or an optional password
   * passed as it was.
   */
  private Object secretsHeld(Object name, Object value, int depth, Map<Object, Object> seen) {
    if (depth > MAX_DEPTH) {
      throw new MaskingRefusedException("the result nests deeper than " + MAX_DEPTH + "; it is withheld rather than "
          + "returned unmasked");
    }
    if (value instanceof Optional<?> optional) {
      return optional.map(v -> cleanNamed(name, v, depth + 1, seen));
    }
    if (value instanceof ArrayNode array) {
      ArrayNode out = array.arrayNode(array.size());
      for (JsonNode element : array) {
        if (!(cleanNamed(name, element, depth + 1, seen) instanceof JsonNode cleaned)) {
          throw new MaskingRefusedException("a masked element of a JSON array is no longer a JSON node; the result "
              + "is withheld rather than returned unmasked");
        }
        out.add(cleaned);
      }
      return out;
    }
    if (value instanceof Collection<?> c) {
      Collection<Object> out = emptyLike(c);
      c.forEach(v -> out.add(cleanNamed(name, v, depth + 1, seen)));
      return out;
    }
    Object out = Array.newInstance(value.getClass().getComponentType(), Array.getLength(value));
    for (int i = 0; i < Array.getLength(value); i++) {
      Object cleaned = cleanNamed(name, Array.get(value, i), depth + 1, seen);
      if (cleaned != null && !value.getClass().getComponentType().isInstance(cleaned)) {
        throw new MaskingRefusedException("a masked element of a " + value.getClass().getComponentType().getName()
            + " array no longer fits its type; the result is withheld rather than returned unmasked");
      }
      Array.set(out, i, cleaned);
    }
    return out;
  }

  private Object rebuild(Record record, int depth, Map<Object, Object> seen) {
    RecordComponent[] components = record.getClass().getRecordComponents();
    Object[] values = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    boolean changed = false;
    try {
      for (int i = 0; i < components.length; i++) {
        components[i].getAccessor().setAccessible(true);
        Object v = components[i].getAccessor().invoke(record);
        Object cleaned = cleanNamed(components[i].getName(), v, depth + 1, seen);
        types[i] = components[i].getType();
        if (cleaned != null && !types[i].isPrimitive() && !types[i].isInstance(cleaned)) {
          throw new MaskingRefusedException("the masked " + components[i].getName() + " of a "
              + record.getClass().getName() + " no longer fits its type " + types[i].getName()
              + "; the record is withheld rather than returned unmasked");
        }
        values[i] = cleaned;
        changed |= cleaned != v;
      }
      if (!changed) {
        return record;
      }
      Constructor<?> canonical = record.getClass().getDeclaredConstructor(types);
      canonical.setAccessible(true);
      return canonical.newInstance(values);
    } catch (ReflectiveOperationException | RuntimeException e) {
      if (e instanceof MaskingRefusedException || e instanceof ScanLimit.Overrun) {
        throw (RuntimeException) e;
      }
      throw new MaskingRefusedException("a " + record.getClass().getName() + " could not be rebuilt with masked "
          + "components (" + e + "); it is withheld rather than returned unmasked");
    }
  }

  /**
   * A plain object: its instance fields are masked in place (the object is the caller's copy of the result). A JDK
   * object the masker does not know is inspected through its string form: if that holds a secret it is refused.
   */
  private Object cleanFields(Object value, int depth, Map<Object, Object> seen) {
    Class<?> type = value.getClass();
    if (type.getModule().isNamed() && type.getModule().getName().startsWith("java.")) {
      if (PRINTABLE_JDK_TYPES.stream().noneMatch(printable -> printable.isInstance(value))) {
        throw new MaskingRefusedException("a " + type.getName() + " in the result is a JDK type the masker cannot "
            + "inspect within bounds (its text may be far larger than its data); it is withheld rather than "
            + "returned unmasked. Return its data as a String, a List, a record or a byte[] (e.g. BitSet.toByteArray)");
      }
      String text = String.valueOf(value);
      if (!maskWithin(text).equals(text)) {
        throw new MaskingRefusedException("a " + type.getName() + " in the result prints a secret and cannot be "
            + "masked in place; it is withheld rather than returned unmasked");
      }
      return value;
    }
    seen.put(value, value);
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()) {
          continue;
        }
        try {
          field.setAccessible(true);
          Object v = field.get(value);
          Object cleaned = cleanNamed(field.getName(), v, depth + 1, seen);
          if (cleaned != v) {
            if (!field.getType().isInstance(cleaned) && cleaned != null) {
              throw new MaskingRefusedException("the masked field " + c.getName() + "." + field.getName()
                  + " no longer fits its type; the result is withheld rather than returned unmasked");
            }
            field.set(value, cleaned);
          }
        } catch (ReflectiveOperationException | RuntimeException e) {
          if (e instanceof MaskingRefusedException || e instanceof ScanLimit.Overrun) {
            throw (RuntimeException) e;
          }
          throw new MaskingRefusedException("the field " + c.getName() + "." + field.getName() + " of the result "
              + "cannot be masked (" + e + "); the result is withheld rather than returned unmasked");
        }
      }
    }
    return value;
  }

  /**
   * The text with every secret replaced. Scanned in NFKC form (full-width letters, ligatures and odd spaces become
   * plain ones), which is also what comes back when something was replaced.
   */
  String mask(String text) {
    start();
    try {
      return maskWithin(text);
    } catch (ScanLimit.Overrun e) {
      return OVERRUN;
    }
  }

  /** {@link #mask} inside a walk that has started its deadline. */
  private String maskWithin(String text) {
    if (masking == Masking.NONE) {
      return text;
    }
    checkDeadline();
    String normal = normalized(text);
    String out = normal;
    for (Detector d : DETECTORS) {
      Matcher m = d.pattern().matcher(limit.over(out));
      StringBuilder sb = null;
      int last = 0;
      while (m.find()) {
        String found = m.group(d.group());
        if (d.check().test(found)) {
          sb = sb == null ? new StringBuilder(out.length()) : sb;
          sb.append(out, last, m.start(d.group())).append(replacement(d.kind(), found));
          last = m.end(d.group());
        }
      }
      if (sb != null) {
        out = sb.append(out, last, out.length()).toString();
      }
    }
    return out.equals(normal) ? text : out;
  }

  /**
   * {@code text} in NFKC form, refused when the result's strings so far would be more than
   * {@link #MAX_NORMAL_GROWTH} times as long in that form: normalizing every string whole, whatever it became,
   * turned 9.9 MB of {@code U+FDFA} from a worker into 59 M chars and an {@code OutOfMemoryError} on a 512 MiB host
   * before the deadline could stop anything, and many short strings would grow as much one by one. A long string
   * that is not normal already is measured first, piece by piece, each piece normalized alone: splitting text can
   * only keep characters from composing, so the pieces are never shorter than the whole.
   */
  private String normalized(String text) {
    textChars += text.length();
    if (text.length() > NORMAL_MEASURE_CHARS) {
      if (Normalizer.isNormalized(text, Normalizer.Form.NFKC)) {
        normalChars += text.length();
        return text;
      }
      long measured = 0;
      for (int start = 0; start < text.length(); ) {
        int end = Math.min(text.length(), start + NORMAL_MEASURE_CHARS);
        end = end < text.length() && Character.isHighSurrogate(text.charAt(end - 1)) ? end - 1 : end;
        measured += Normalizer.normalize(text.substring(start, end), Normalizer.Form.NFKC).length();
        checkNormalGrowth(measured);
        checkDeadline();
        start = end;
      }
    }
    String normal = Normalizer.normalize(text, Normalizer.Form.NFKC);
    checkNormalGrowth(normal.length());
    normalChars += normal.length();
    return normal;
  }

  private void checkNormalGrowth(long more) {
    long bound = MAX_NORMAL_GROWTH * textChars + NORMAL_GROWTH_SLACK;
    if (normalChars + more > bound) {
      throw new MaskingRefusedException(textChars + " chars of text grow past " + bound
          + " chars in NFKC form, the form masking scans (a compatibility character such as U+FDFA becomes up to "
          + "18, while ordinary text barely grows); it is withheld rather than scanned or returned unmasked. A tool "
          + "that must return such text needs a policy whose masking is NONE");
    }
  }

  private String replacement(String kind, String secret) {
    return switch (masking) {
      case FULL -> "[REDACTED]";
      case PARTIAL -> "*".repeat(Math.max(4, secret.length() - 4)) + secret.substring(Math.max(0, secret.length() - 4));
      case TYPE_ONLY -> "[" + kind + "]";
      case HASH -> "[" + kind + ":" + hmac(hashKey, secret) + "]";
      case NONE -> secret;
    };
  }

  private String truncate(String s) {
    if (maxChars == 0 || s.length() <= maxChars) {
      return s;
    }
    return s.substring(0, maxChars) + "…[truncated " + (s.length() - maxChars) + " chars]";
  }

  static boolean luhn(String candidate) {
    String digits = candidate.replaceAll("[ -]", "");
    if (digits.length() < 13 || digits.length() > 19 || digits.chars().distinct().count() == 1) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < digits.length(); i++) {
      int d = digits.charAt(digits.length() - 1 - i) - '0';
      if (i % 2 == 1) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
    }
    return sum % 10 == 0;
  }

  /** 16 hex digits of HMAC-SHA256 under {@code key}: equal values stay equal; without the key no guess can be tested. */
  static String hmac(byte[] key, String s) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(s.getBytes(StandardCharsets.UTF_8)), 0, 8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** The HMAC key this process uses when none is configured: random, never stored or logged. */
  static byte[] processKey() {
    return PROCESS_KEY.clone();
  }

  private static byte[] randomKey() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return key;
  }
}
