package dev.airlock.internal.mcp.serve;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.jsontype.BasicPolymorphicTypeValidator;
import tools.jackson.databind.module.SimpleModule;

/**
 * The JSON of an MCP server: everything a client sends is untrusted, so every message is parsed under bounds (its
 * length, nesting, string, name and number sizes) before the SDK or a tool sees it, and no JSON names a class to
 * instantiate.
 */
public final class McpJson {
  /** Nesting of one message: MCP's own envelopes need about 6, tool arguments the rest. */
  public static final int MAX_DEPTH = 64;
  /** Digits of one number: enough for any long or double, far from a BigInteger that takes seconds to parse. */
  static final int MAX_NUMBER_DIGITS = 100;
  static final int MAX_NAME_CHARS = 1_000;

  private McpJson() {
  }

  /**
   * The mapper for the wire: at most {@code maxMessageBytes} per message. Polymorphic types named by class in the
   * JSON (a {@code @JsonTypeInfo(use = CLASS)} on a tool's parameter type) are refused: a client names no class.
   */
  public static JsonMapper wire(int maxMessageBytes) {
    StreamReadConstraints bounds = StreamReadConstraints.builder()
        .maxDocumentLength(maxMessageBytes)
        .maxStringLength(maxMessageBytes)
        .maxNestingDepth(MAX_DEPTH)
        .maxNumberLength(MAX_NUMBER_DIGITS)
        .maxNameLength(MAX_NAME_CHARS)
        .build();
    return JsonMapper.builder(JsonFactory.builder().streamReadConstraints(bounds).build())
        .polymorphicTypeValidator(BasicPolymorphicTypeValidator.builder().build())
        .build();
  }

  /**
   * The mapper that turns a tool's arguments into its parameter types: strict, so {@code "5"} is no int, a float is
   * no integer, a null is no primitive, and a property the type does not have is an error rather than ignored.
   */
  public static JsonMapper arguments(JsonMapper wire) {
    return wire.rebuild()
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
            DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .build();
  }

  /**
   * The mapper that writes a tool's results: {@code arguments}, with maps whose keys are not text written within
   * {@code maxChars} ({@link ResultMaps}).
   */
  static JsonMapper results(JsonMapper arguments, int maxChars) {
    return arguments.rebuild()
        .addModule(new SimpleModule("airlock-result-maps").setSerializerModifier(new ResultMaps(maxChars)))
        .build();
  }

  /** The SDK's view of {@code wire}. */
  public static McpJsonMapper sdk(JsonMapper wire) {
    return new JacksonMcpJsonMapper(wire);
  }
}
