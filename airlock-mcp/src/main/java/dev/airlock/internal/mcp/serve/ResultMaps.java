package dev.airlock.internal.mcp.serve;

import dev.airlock.internal.guard.BoundedText;
import java.net.URI;
import java.time.ZoneId;
import java.time.temporal.TemporalAccessor;
import java.time.temporal.TemporalAmount;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.Currency;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.SerializationConfig;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.ser.AnyGetterWriter;
import tools.jackson.databind.ser.BeanPropertyWriter;
import tools.jackson.databind.ser.BeanSerializerBuilder;
import tools.jackson.databind.ser.ValueSerializerModifier;
import tools.jackson.databind.type.MapType;

/**
 * How a result's maps are written. JSON names are text, so Jackson writes any other key as its {@code toString()},
 * made whole before a character of it is written, and its map writer makes that text again for the path of any
 * exception under the key, the bounded text's own refusal included: a sandboxed tool's guest chose keys that were
 * lists of 8.5 million nulls (sent as one flag each), and the server built a 51-million-character key, 443 MiB on the
 * calling thread (250 MiB once the key itself was bounded), before the result was refused as too large (attack review
 * 36). Here a key whose text is its data (text, numbers, enum constants, dates, ...) is written by Jackson as before,
 * any other (a collection, a map, an array, an optional, a record, an object) as its {@link BoundedText}, which stops
 * at the bound of a message, and no key is printed for an exception.
 */
final class ResultMaps extends ValueSerializerModifier {
  private final int maxChars;

  ResultMaps(int maxChars) {
    this.maxChars = maxChars;
  }

  @Override
  public ValueSerializer<?> modifyMapSerializer(SerializationConfig config, MapType type,
      BeanDescription.Supplier description, ValueSerializer<?> chosen) {
    return new Writer(maxChars, true);
  }

  /**
   * An object's {@code @JsonAnyGetter} map, whose entries Jackson writes among the object's properties with a map
   * writer it makes for it, not one this modifier is asked about: written by the same writer, without braces.
   */
  @Override
  public BeanSerializerBuilder updateBuilder(SerializationConfig config, BeanDescription.Supplier description,
      BeanSerializerBuilder builder) {
    List<BeanPropertyWriter> properties = new ArrayList<>(builder.getProperties());
    properties.replaceAll(property -> property instanceof AnyGetterWriter any
        ? new AnyGetterWriter(any, any, any.getMember(), new Writer(maxChars, false)) : property);
    builder.setProperties(properties);
    return builder;
  }

  /** Whether {@code key}'s text is about as long as its data, as Jackson writes it. */
  private static boolean textIsData(Object key) {
    return key instanceof CharSequence || key instanceof Number || key instanceof Boolean
        || key instanceof Character || key instanceof Enum<?> || key instanceof UUID || key instanceof Class<?>
        || key instanceof Date || key instanceof Calendar || key instanceof TemporalAccessor
        || key instanceof TemporalAmount || key instanceof ZoneId || key instanceof Locale || key instanceof Currency
        || key instanceof URI;
  }

  private static final class Writer extends ValueSerializer<Map<?, ?>> {
    private final int maxChars;
    /** False for an any-getter's map, whose entries are the properties of the object around it. */
    private final boolean braces;

    Writer(int maxChars, boolean braces) {
      this.maxChars = maxChars;
      this.braces = braces;
    }

    @Override
    public void serialize(Map<?, ?> map, JsonGenerator json, SerializationContext context) {
      if (braces) {
        json.writeStartObject(map);
      }
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        Object key = entry.getKey();
        if (key == null) {
          context.reportMappingProblem("a map of the result has a null key, which JSON cannot write");
        } else if (textIsData(key)) {
          context.findKeySerializer(key.getClass(), null).serialize(key, json, context);
        } else {
          // At most the bound and a note of the cut: a longer name makes the text refuse the result as too large.
          json.writeName(BoundedText.of(key, maxChars));
        }
        context.writeValue(json, entry.getValue());
      }
      if (braces) {
        json.writeEndObject();
      }
    }
  }
}
