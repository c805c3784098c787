package dev.airlock.internal.mcp.gateway;

import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.guard.ScanLimit;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the markers of prompt injection in text a model will read (a tool's description, a tool's output): hidden
 * Unicode, instructions aimed at the model rather than at describing the tool, and links or images whose URL carries
 * data out in its query. {@link #strip} removes what it finds.
 *
 * <p>The text comes from the upstream, which may be hostile, so the work of a scan is bounded twice. The patterns
 * are written not to backtrack far: bounded repetitions, possessive where what follows cannot be in the run, no
 * nested quantifiers, and a URL is taken whole, then judged in code. And whatever a pattern does, a scan reads at most
 * {@link #READS_PER_CHAR} characters per character of the text: past that it stops and reports the text as
 * {@code unscannable}, which cannot be stripped. A scanner catches known phrasings; it is a tripwire, not a proof of
 * innocence: a text that passes may still be hostile in words no pattern knows.
 */
final class InjectionScanner {
  /**
   * What was found: the rule and the matched text, shortened and made printable for a log or audit record;
   * {@code fixedText} when it is in text the gateway cannot rewrite (a name, a URI), so stripping cannot remove it.
   */
  record Finding(String rule, String excerpt, boolean fixedText) {
    Finding(String rule, String excerpt) {
      this(rule, excerpt, false);
    }

    Finding asFixedText() {
      return new Finding(rule, excerpt, true);
    }

    @Override
    public String toString() {
      return rule + " \"" + GuestText.escape(excerpt) + "\"";
    }
  }

  /** A rule: what {@code pattern} matches is a marker when {@code marks} holds for it. */
  private record Rule(String name, Pattern pattern, String replacement, Predicate<String> marks) {
    Rule(String name, Pattern pattern, String replacement) {
      this(name, pattern, replacement, match -> true);
    }
  }

  /**
   * How many characters a scan or a strip may read, per character of its text, through every pattern together. The
   * rules read 33 to 40 per character of the test corpus, and at most about 100 of any hostile text tried (runs of
   * {@code http://}, of half-made links and images, of half-made phrases).
   */
  static final int READS_PER_CHAR = 1024;
  /** What every scan may read whatever its length: a short text with a long URL is still cheap. */
  static final long BASE_READS = 1 << 20;
  static final String UNSCANNABLE = "unscannable";

  /**
   * What a reader does not see but a model reads: every format character (tags, zero-width, bidi controls, the Arabic
   * letter mark, soft hyphen), the combining grapheme joiner, the Hangul fillers, variation selectors of the
   * supplement (U+E0100..) and runs of the ordinary ones: one selector after an emoji is common, two in a row are
   * bytes smuggled in selectors.
   */
  private static final Pattern HIDDEN = Pattern.compile("[\\p{Cf}\\u034F\\u115F\\u1160\\u3164\\uFFA0"
      + "\\x{E0100}-\\x{E01EF}]|[\\uFE00-\\uFE0F]{2,}");
  /** Letters of other scripts that look like Latin ones, folded for matching (Cyrillic, Greek): "\u0456gnore". */
  private static final String CONFUSABLE = "\u0430\u0435\u043E\u0440\u0441\u0443\u0445\u0456\u0458\u0455"
      + "\u0501\u04CF\u0410\u0412\u0415\u041A\u041C\u041D\u041E\u0420\u0421\u0422\u0425\u0406\u0408"
      + "\u0405\u04AE\u03BF\u03B1\u03BD\u03B9\u03C1\u0399\u0391\u0392\u0395\u0396\u0397\u039A\u039C"
      + "\u039D\u039F\u03A1\u03A4\u03A7\u03A5\u0261";
  private static final String LATIN = "aeopcyxijsdlABEKMHOPCTXIJSYoavipIABEZHKMNOPTXYg";
  private static final Pattern ENTITY = Pattern.compile("&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});");
  private static final Pattern MARKS = Pattern.compile("\\p{Mn}");

  private static final int FLAGS = Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
  /** What a model reads as a space: {@code \\s} is ASCII only, and no-break, thin or ideographic spaces are not. */
  private static final String SPACE = "[\\s\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";
  /**
   * A URL with a query, taken whole: the host up to the first {@code ?}, then up to 2,200 characters of query (the
   * rules before took 2,000 after any {@code ?} of the first 200 characters) and the rest of an encoded value running
   * past them (a parameter that starts within them may be as long as it likes), then a {@code <} that ends it, if one
   * does. Possessive, since each run stops only at a character it cannot hold: a failed match costs the
   * runs' length once, not their product, and a found URL is consumed, so the next search starts after it.
   */
  private static final Pattern URL_WITH_QUERY = Pattern.compile(
      "https?://[^\\s)\"'<>?]{1,200}+\\?[^\\s)\"'<>]{0,2200}+[A-Za-z0-9+/_%-]*+<?+", FLAGS);
  /** A query parameter whose value is a long run of base64 or percent-encoding: data carried out. */
  private static final Pattern ENCODED_VALUE = Pattern.compile("=[A-Za-z0-9+/_%-]{120}");
  private static final List<Rule> RULES = List.of(
      new Rule("instruction-tag", compile(
          "<\\s{0,3}/?\\s{0,3}(important|system|instructions?|secret|hidden|admin|assistant)\\s{0,3}>", FLAGS),
          "[removed]"), // not "": removing "<important>" from "<imp<important>ortant>" would make a tag again
      new Rule("override-instructions", compile(
          "\\b(ignore|disregard|forget|override)\\s{1,3}(all\\s{1,3}|any\\s{1,3}|the\\s{1,3}|your\\s{1,3})?"
              + "(previous|prior|above|earlier|preceding|other|system)\\s{1,3}"
              + "(instructions?|prompts?|rules|directions|guidelines|messages?)", FLAGS), "[removed]"),
      new Rule("conceal-from-user", compile(
          "\\b(do\\s{1,3}not|don'?t|never|without)\\s{1,3}(tell|telling|inform|informing|mention|mentioning|notify"
              + "|notifying|alert|alerting|reveal|revealing|show|showing|let)\\s{1,3}"
              + "(it\\s{1,3}|this\\s{1,3}|that\\s{1,3})?"
              + "(to\\s{1,3})?(the\\s{1,3})?user", FLAGS), "[removed]"),
      new Rule("conceal-from-user", compile(
          "\\b(do\\s{1,3}not|don'?t|never)\\s{1,3}(mention|tell|reveal|disclose)\\s{1,3}(that\\s{1,3}you"
              + "|this\\s{1,3}to|it\\s{1,3}to|anything\\s{1,3}(about|of)\\s{1,3}this)\\b", FLAGS), "[removed]"),
      new Rule("conceal-from-user", compile(
          "\\b(the\\s{1,3})?user\\s{1,3}(must|should|will)\\s{1,3}(not|never)\\s{1,3}(know|see|notice|be\\s{1,3}told)",
          FLAGS), "[removed]"),
      new Rule("model-directed", compile(
          "\\b(before|prior\\s{1,3}to)\\s{1,3}(using|calling|invoking)\\s{1,3}(this|the|any)\\s{1,3}(tool|function)"
              + "[^.\\n]{0,80}?\\b(must|need\\s{1,3}to|have\\s{1,3}to|should|always|read|call|send|pass|include"
              + "|invoke)\\b"
              + "|\\botherwise\\s{1,3}(the|this)\\s{1,3}tool\\s{1,3}(will\\s{1,3}not|won'?t)\\s{1,3}work", FLAGS),
          "[removed]"),
      new Rule("model-directed", compile(
          "\\b(you\\s{1,3}are\\s{1,3}now|new\\s{1,3}instructions?\\s{0,3}:|system\\s{1,3}prompt\\s{0,3}:"
              + "|act\\s{1,3}as\\s{1,3}(an?\\s{1,3})?(admin|root|developer\\s{1,3}mode))", FLAGS), "[removed]"),
      new Rule("sensitive-file", compile(
          "(~|\\$HOME|/home/[\\w.-]{1,32}|/root)/\\.(ssh|aws|cursor|gnupg|config/gcloud|kube|docker)\\b[\\w./-]{0,64}"
              + "|id_(rsa|ed25519|ecdsa|dsa)(?![a-z])|\\bmcp\\.json\\b|\\.env\\b(?![\\w-])", FLAGS), "[removed]"),
      new Rule("exfiltration-link", compile(
          "!\\[[^\\]\\n]{0,200}+\\]\\(\\s{0,3}https?://[^)\\s]{1,2000}+\\)", FLAGS), "[image removed]"),
      // A template to fill in ({{...}}, ${...}, %7B) or a tag's opening right after it: the model is to add data.
      new Rule("exfiltration-link", URL_WITH_QUERY, "[link removed]",
          url -> url.indexOf('{') >= 0 || url.toUpperCase(Locale.ROOT).contains("%7B") || url.endsWith("<")),
      new Rule("exfiltration-link", URL_WITH_QUERY, "[link removed]", url -> ENCODED_VALUE.matcher(url).find()));

  private final long baseReads;
  private final int readsPerChar;

  InjectionScanner() {
    this(BASE_READS, READS_PER_CHAR);
  }

  /** A scanner with another budget: {@code baseReads} whatever the length, {@code readsPerChar} more per character. */
  InjectionScanner(long baseReads, int readsPerChar) {
    this.baseReads = baseReads;
    this.readsPerChar = readsPerChar;
  }

  /**
   * A rule's pattern with every bounded run of spaces ({@code \\s{1,3}}, {@code \\s{0,3}}) widened to any run of up to
   * 32 of what a model reads as a space: four spaces or a no-break space must not hide a marker. Still linear.
   */
  private static Pattern compile(String regex, int flags) {
    return Pattern.compile(regex.replace("\\s{1,3}", SPACE + "{1,32}").replace("\\s{0,3}", SPACE + "{0,32}"), flags);
  }

  /**
   * Everything found in {@code text}, hidden characters first. The rules match {@link #reading} of the text, what a
   * model makes of it, not its code points: an entity, a fullwidth form or a Cyrillic letter is no disguise.
   */
  List<Finding> scan(String text) {
    List<Finding> found = new ArrayList<>();
    Matcher hidden = HIDDEN.matcher(text);
    if (hidden.find()) {
      found.add(new Finding("hidden-unicode", String.format(Locale.ROOT, "U+%04X at %d",
          text.codePointAt(hidden.start()), hidden.start())));
    }
    try {
      found.addAll(findRules(reading(text)));
    } catch (ScanLimit.Overrun e) {
      found.add(unscannable(text));
    }
    return found;
  }

  private Finding unscannable(String text) {
    return new Finding(UNSCANNABLE, "a text of " + text.length() + " characters took more than " + readsPerChar
        + " reads per character to scan", true);
  }

  /**
   * {@code text} stripped of what {@link #scan} found in it: a text found unscannable is removed whole, without
   * spending the budget on it a second time only to run out again.
   */
  String strip(String text, List<Finding> found) {
    return found.stream().anyMatch(f -> f.rule().equals(UNSCANNABLE)) ? removed(text) : strip(text);
  }

  /**
   * {@code text} without hidden characters and with every match replaced by a marker. When a marker is there only in
   * the reading (a disguised one), the stripped reading replaces the text: the disguise cannot be kept without it.
   */
  String strip(String text) {
    try {
      String out = replaceRules(HIDDEN.matcher(text).replaceAll(""));
      String reading = reading(out);
      if (!findRules(reading).isEmpty()) {
        return replaceRules(reading);
      }
      return out;
    } catch (ScanLimit.Overrun e) {
      return removed(text);
    }
  }

  private String removed(String text) {
    return "[text removed: " + unscannable(text).excerpt() + "]";
  }

  /**
   * The first marker of each rule in {@code reading}, or {@link ScanLimit.Overrun} when the budget runs out. The
   * budget is sized on the reading, which may be longer than the text (NFKC writes out a ligature).
   */
  private List<Finding> findRules(String reading) {
    List<Finding> found = new ArrayList<>();
    CharSequence counted = limitFor(reading).over(reading);
    for (Rule rule : RULES) {
      Matcher m = rule.pattern.matcher(counted);
      while (m.find()) {
        if (rule.marks.test(m.group())) {
          found.add(new Finding(rule.name, excerpt(m.group())));
          break;
        }
      }
    }
    return found;
  }

  private String replaceRules(String text) {
    ScanLimit limit = limitFor(text);
    String out = text;
    for (Rule rule : RULES) {
      out = rule.pattern.matcher(limit.over(out)).replaceAll(m -> Matcher.quoteReplacement(
          rule.marks.test(m.group()) ? rule.replacement : m.group()));
    }
    return out;
  }

  /**
   * The text as a model reads it: HTML character references decoded, compatibility forms folded (NFKC: fullwidth
   * brackets and letters), hidden characters and combining accents removed, Cyrillic and Greek look-alikes folded to
   * Latin. Used to match, and as the stripped text when a disguised marker is found. Linear in the text's length.
   */
  static String reading(String text) {
    String decoded = ENTITY.matcher(text).replaceAll(m -> Matcher.quoteReplacement(entity(m.group(1), m.group())));
    String plain = HIDDEN.matcher(Normalizer.normalize(decoded, Normalizer.Form.NFKD)).replaceAll("");
    plain = Normalizer.normalize(MARKS.matcher(plain).replaceAll(""), Normalizer.Form.NFKC);
    StringBuilder out = new StringBuilder(plain.length());
    for (int i = 0; i < plain.length(); i++) {
      char c = plain.charAt(i);
      int at = CONFUSABLE.indexOf(c);
      out.append(at >= 0 ? LATIN.charAt(at) : c);
    }
    return out.toString();
  }

  /** One character reference: numeric, or the named ones a marker is spelt with; anything else stays as written. */
  private static String entity(String name, String written) {
    if (name.startsWith("#")) {
      int code = name.length() > 1 && (name.charAt(1) == 'x' || name.charAt(1) == 'X')
          ? Integer.parseInt(name.substring(2), 16) : Integer.parseInt(name.substring(1));
      return Character.isValidCodePoint(code) ? new String(Character.toChars(code)) : written;
    }
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "lt" -> "<";
      case "gt" -> ">";
      case "amp" -> "&";
      case "quot" -> "\"";
      case "apos" -> "'";
      case "nbsp" -> "\u00A0";
      case "sol" -> "/";
      case "tilde" -> "~";
      case "period" -> ".";
      default -> written;
    };
  }

  private static String excerpt(String match) {
    String printable = HIDDEN.matcher(match).replaceAll("?").replaceAll("\\p{Cntrl}", " ");
    return printable.length() <= 60 ? printable : printable.substring(0, 57) + "...";
  }

  private ScanLimit limitFor(String text) {
    return ScanLimit.reads(baseReads + (long) readsPerChar * text.length(), "the injection scan read its budget");
  }
}
