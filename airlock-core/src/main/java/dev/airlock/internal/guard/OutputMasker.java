package dev.airlock.internal.guard;

import dev.airlock.AirlockPolicy.Masking;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cleans what goes back to a model: every string in a result — also inside lists, sets, maps, arrays and records —
 * has secrets and personal data replaced, and strings over a size are truncated with a marker. Other objects are
 * returned as they are.
 */
final class OutputMasker {

  /** A kind of sensitive text and how to find it; {@code check} rejects look-alikes (a UUID is not a card). */
  private record Detector(String kind, Pattern pattern, java.util.function.Predicate<String> check) {
  }

  private static final String NOT_IN_WORD = "(?<![\\w-])";
  private static final String END_OF_WORD = "(?![\\w-])";

  private static final List<Detector> DETECTORS = List.of(
      new Detector("PRIVATE_KEY", Pattern.compile(
          "-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----"), s -> true),
      new Detector("JWT", Pattern.compile("eyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{10,}"), s -> true),
      new Detector("AWS_KEY", Pattern.compile("\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b"), s -> true),
      new Detector("API_KEY", Pattern.compile(
          "\\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|ghp_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,}"
              + "|xox[baprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|e2b_[A-Za-z0-9]{20,})"), s -> true),
      new Detector("CONNECTION_STRING", Pattern.compile(
          "\\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\\s:/@]+:[^\\s@/]+@[^\\s]+"), s -> true),
      new Detector("PASSWORD", Pattern.compile(
          "(?i)(?<=\\b(?:password|passwd|pwd|secret|api[_-]?key|token)\\s{0,3}[=:]\\s{0,3})[^\\s,;\"']{3,}"), s -> true),
      new Detector("EMAIL", Pattern.compile("\\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}\\b"), s -> true),
      new Detector("CARD_NUMBER", Pattern.compile(NOT_IN_WORD + "\\d(?:[ -]?\\d){12,18}" + END_OF_WORD),
          OutputMasker::luhn),
      // An address is not part of a longer dotted number such as a version 1.2.3.4.5.
      new Detector("IP_ADDRESS", Pattern.compile("(?<![\\w.-])"
          + "(?:(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)(?![\\w-]|\\.\\d)"), s -> true),
      new Detector("PHONE", Pattern.compile(NOT_IN_WORD + "\\+?\\(?\\d{1,4}\\)?(?:[ .-]?\\(?\\d{2,4}\\)?){2,4}"
          + END_OF_WORD), s -> {
            long digits = s.chars().filter(Character::isDigit).count();
            return digits >= 9 && digits <= 15 && (s.startsWith("+") || s.matches(".*[ .()-].*"));
          }));

  private final Masking masking;
  private final int maxChars;

  OutputMasker(Masking masking, int maxChars) {
    this.masking = masking;
    this.maxChars = maxChars;
  }

  Object clean(Object value) {
    if (masking == Masking.NONE && maxChars == 0) {
      return value;
    }
    return clean(value, 0);
  }

  private Object clean(Object value, int depth) {
    if (value == null || depth > 64) {
      return value;
    }
    if (value instanceof String s) {
      return truncate(mask(s));
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      list.forEach(v -> out.add(clean(v, depth + 1)));
      return out;
    }
    if (value instanceof Set<?> set) {
      Set<Object> out = new LinkedHashSet<>();
      set.forEach(v -> out.add(clean(v, depth + 1)));
      return out;
    }
    if (value instanceof Collection<?> c) {
      List<Object> out = new ArrayList<>(c.size());
      c.forEach(v -> out.add(clean(v, depth + 1)));
      return out;
    }
    if (value instanceof Map<?, ?> map) {
      Map<Object, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(clean(k, depth + 1), clean(v, depth + 1)));
      return out;
    }
    if (value.getClass().isArray() && !value.getClass().getComponentType().isPrimitive()) {
      Object out = Array.newInstance(value.getClass().getComponentType(), Array.getLength(value));
      for (int i = 0; i < Array.getLength(value); i++) {
        Array.set(out, i, clean(Array.get(value, i), depth + 1));
      }
      return out;
    }
    if (value instanceof Record record) {
      return rebuild(record, depth);
    }
    return value;
  }

  private Object rebuild(Record record, int depth) {
    RecordComponent[] components = record.getClass().getRecordComponents();
    Object[] values = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    try {
      for (int i = 0; i < components.length; i++) {
        components[i].getAccessor().setAccessible(true);
        Object v = components[i].getAccessor().invoke(record);
        Object cleaned = clean(v, depth + 1);
        values[i] = components[i].getType().isInstance(cleaned) || cleaned == null ? cleaned : v;
        types[i] = components[i].getType();
      }
      Constructor<?> canonical = record.getClass().getDeclaredConstructor(types);
      canonical.setAccessible(true);
      return canonical.newInstance(values);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return record;
    }
  }

  String mask(String text) {
    if (masking == Masking.NONE) {
      return text;
    }
    String out = text;
    for (Detector d : DETECTORS) {
      Matcher m = d.pattern.matcher(out);
      StringBuilder sb = new StringBuilder();
      boolean changed = false;
      while (m.find()) {
        if (d.check.test(m.group())) {
          m.appendReplacement(sb, Matcher.quoteReplacement(replacement(d.kind, m.group())));
          changed = true;
        }
      }
      if (changed) {
        m.appendTail(sb);
        out = sb.toString();
      }
    }
    return out;
  }

  private String replacement(String kind, String secret) {
    return switch (masking) {
      case FULL -> "[REDACTED]";
      case PARTIAL -> "*".repeat(Math.max(4, secret.length() - 4)) + secret.substring(Math.max(0, secret.length() - 4));
      case TYPE_ONLY -> "[" + kind + "]";
      case HASH -> "[" + kind + ":" + sha256(secret).substring(0, 8) + "]";
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

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
