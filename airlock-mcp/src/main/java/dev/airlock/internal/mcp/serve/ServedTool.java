package dev.airlock.internal.mcp.serve;

import dev.airlock.AirlockBlockedException;
import dev.airlock.internal.intercept.AirlockInterceptor;
import dev.airlock.internal.intercept.EffectiveAirlock;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.io.IOException;
import java.io.Writer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * One {@code @Airlock} method served as an MCP tool. A call converts the client's arguments (untrusted JSON, already
 * bounded by the transport's parser) to the declared parameter types, then runs the method through the one
 * interceptor: policy, validation, the sandbox, masking, audit. Everything that goes wrong for the call, a bad
 * argument, a block, a failure in the sandbox, becomes a tool result with {@code isError: true} and a text the model
 * can read; nothing is thrown into the protocol, so the session goes on.
 */
public final class ServedTool {
  /** MCP's tool names: letters, digits, {@code _ - .}, at most 128. */
  private static final Pattern TOOL_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,128}");
  /** A converter's message quotes the client's input; a model needs the start of it only. */
  private static final int MAX_ERROR_CHARS = 500;

  private final Object receiver;
  private final Method method;
  private final Tool tool;
  private final AirlockInterceptor interceptor;
  private final JsonMapper arguments;
  private final JsonMapper results;
  /**
   * The most characters of a result's text: the bound of a client's message ({@code maxMessageBytes}). A sandboxed
   * tool's result is its guest's choice, up to {@code airlock.max-result-bytes}, and was written out whole: 4 MiB of
   * U+0001 became 24 million characters of JSON and a structured copy on the calling thread (135 MiB), then the SDK
   * escaped that text again into its answer (attack review 21).
   */
  private final long maxResultChars;

  private ServedTool(Object receiver, Method method, Tool tool, AirlockInterceptor interceptor, JsonMapper arguments,
      JsonMapper results, long maxResultChars) {
    this.receiver = receiver;
    this.method = method;
    this.tool = tool;
    this.interceptor = interceptor;
    this.arguments = arguments;
    this.results = results;
    this.maxResultChars = maxResultChars;
  }

  /**
   * The tools of {@code targets}: every public method an {@code @Airlock} governs (on the method, what it overrides,
   * or its class), by the rule the interceptor itself applies.
   *
   * @throws IllegalArgumentException when a target has no such method, two tools share a name (overloads: name one
   *     with Spring AI's or LangChain4j's {@code @Tool(name = ...)}), a name is not a valid MCP tool name, or
   *     parameter names were not compiled in
   */
  public static List<ServedTool> of(List<?> targets, AirlockInterceptor interceptor, JsonMapper wire) {
    JsonMapper arguments = McpJson.arguments(wire);
    long maxMessage = wire.tokenStreamFactory().streamReadConstraints().getMaxDocumentLength();
    long maxResultChars = maxMessage > 0 ? maxMessage : Long.MAX_VALUE;
    JsonMapper results = McpJson.results(arguments, (int) Math.min(maxResultChars, Integer.MAX_VALUE - 64));
    Map<String, ServedTool> tools = new LinkedHashMap<>();
    for (Object target : targets) {
      Class<?> type = target.getClass();
      List<Method> methods = new ArrayList<>();
      for (Method method : type.getMethods()) {
        if (method.getDeclaringClass() != Object.class && !method.isBridge() && !method.isSynthetic()
            && EffectiveAirlock.governs(type, method)) {
          methods.add(method);
        }
      }
      if (methods.isEmpty()) {
        throw new IllegalArgumentException("Airlock MCP: " + type.getName() + " has no public method governed by "
            + "@Airlock, so it serves no tool. Annotate its tool methods (or the class) with @Airlock");
      }
      methods.sort(Comparator.comparing(Method::getName).thenComparing(Method::toGenericString));
      for (Method method : methods) {
        ServedTool tool = of(target, method, interceptor, arguments, results, maxResultChars);
        ServedTool clash = tools.putIfAbsent(tool.name(), tool);
        if (clash != null) {
          throw new IllegalArgumentException("Airlock MCP: two tools are named '" + tool.name() + "': " + clash.method
              + " and " + method + ". Rename one, or name it with @Tool(name = ...) (Spring AI or LangChain4j)");
        }
      }
    }
    return List.copyOf(tools.values());
  }

  private static ServedTool of(Object target, Method method, AirlockInterceptor interceptor, JsonMapper arguments,
      JsonMapper results, long maxResultChars) {
    String name = ToolText.name(method);
    if (!TOOL_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("Airlock MCP: '" + name + "' (" + method + ") is not a valid MCP tool "
          + "name: use 1 to 128 letters, digits, '_', '-' or '.'");
    }
    EffectiveAirlock.Resolved governing = EffectiveAirlock.of(target.getClass(), method).orElseThrow();
    if (governing.conflict() != null) {
      // Every call would be refused (implements HostTool, ShellTool): refused when served instead.
      throw new IllegalArgumentException(governing.conflict());
    }
    boolean sandboxed = governing.airlock().sandbox();
    Tool tool = Tool.builder(name, InputSchema.of(method))
        .description(ToolText.description(method, sandboxed))
        .build();
    // A public method of a non-public class (a nested tool class, say) is invoked reflectively all the same.
    method.trySetAccessible();
    return new ServedTool(Modifier.isStatic(method.getModifiers()) ? null : target, method, tool, interceptor,
        arguments, results, maxResultChars);
  }

  public String name() {
    return tool.name();
  }

  public Tool tool() {
    return tool;
  }

  /** Runs one {@code tools/call}; never throws. */
  public CallToolResult call(Map<String, Object> input) {
    Object[] args;
    try {
      args = convert(input == null ? Map.of() : input);
    } catch (IllegalArgumentException e) {
      return error(e.getMessage());
    }
    Object result;
    try {
      result = interceptor.intercept(receiver, method, args, () -> {
        try {
          return method.invoke(receiver, args);
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
      });
    } catch (AirlockBlockedException e) {
      return error(e.toModelMessage());
    } catch (Throwable t) {
      // Already masked by the guard; the type tells a model what kind of failure it was, the message why.
      return error(failure(t.getClass().getSimpleName(), String.valueOf(t.getMessage())));
    }
    return success(result);
  }

  private Object[] convert(Map<String, Object> input) {
    Parameter[] parameters = method.getParameters();
    TreeSet<String> unknown = new TreeSet<>(input.keySet());
    Object[] args = new Object[parameters.length];
    for (int i = 0; i < parameters.length; i++) {
      Parameter parameter = parameters[i];
      unknown.remove(parameter.getName());
      Object value = input.get(parameter.getName());
      if (value == null && parameter.getType().isPrimitive()) {
        throw new IllegalArgumentException(bad(parameter, "is missing; it is required"));
      }
      try {
        args[i] = value == null ? nullFor(parameter)
            : arguments.convertValue(value, arguments.constructType(parameter.getParameterizedType()));
      } catch (JacksonException | IllegalArgumentException e) {
        throw new IllegalArgumentException(bad(parameter, "is not a valid "
            + parameter.getParameterizedType().getTypeName() + ": " + firstLine(e.getMessage())));
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(failure("InvalidArguments", "unknown arguments " + unknown + "; "
          + name() + " takes " + Arrays.stream(parameters).map(Parameter::getName).toList()));
    }
    return args;
  }

  private static Object nullFor(Parameter parameter) {
    return parameter.getType() == Optional.class ? Optional.empty() : null;
  }

  private String bad(Parameter parameter, String problem) {
    return failure("InvalidArguments", "argument '" + parameter.getName() + "' " + problem);
  }

  private CallToolResult success(Object result) {
    if (result == null || result instanceof CharSequence) {
      String text = String.valueOf(result);
      return text.length() > maxResultChars ? tooLarge()
          : CallToolResult.builder().addTextContent(text).isError(false).build();
    }
    // Written straight into the bounded text: a tree of the whole result first cost the calling thread 300 MiB for
    // 25 million nulls from a worker (the most a 9 MB result decodes to), however little of it the text could hold.
    BoundedText text = new BoundedText(maxResultChars);
    try {
      results.writeValue(text, result);
    } catch (JacksonException e) {
      if (text.full) {
        return tooLarge();
      }
      return error(failure("UnrepresentableResult", "the result of " + name() + " (" + result.getClass().getName()
          + ") has no JSON form: " + firstLine(e.getMessage())));
    }
    String json = text.toString();
    CallToolResult.Builder builder = CallToolResult.builder().addTextContent(json).isError(false);
    if (json.startsWith("{")) {
      // Converted only now that its JSON is known to fit a message: this copy is bounded by that text.
      builder.structuredContent(results.convertValue(result, Map.class));
    }
    return builder.build();
  }

  private CallToolResult tooLarge() {
    return error(failure("ResultTooLarge", "the result of " + name() + " is longer than " + maxResultChars
        + " characters as JSON, the bound of a message (maxMessageBytes); it was not sent. Return less, or raise "
        + "maxMessageBytes"));
  }

  /**
   * A result's JSON text, refused as it passes {@code max} characters: what a result makes is never more than the
   * text sent.
   */
  private static final class BoundedText extends Writer {
    private final StringBuilder text = new StringBuilder();
    private final long max;
    private boolean full;

    BoundedText(long max) {
      this.max = max;
    }

    @Override
    public void write(char[] chars, int offset, int length) throws IOException {
      reserve(length);
      text.append(chars, offset, length);
    }

    @Override
    public void write(String chars, int offset, int length) throws IOException {
      reserve(length);
      text.append(chars, offset, offset + length);
    }

    private void reserve(int length) throws IOException {
      if (text.length() + (long) length > max) {
        full = true;
        throw new IOException("past " + max + " characters");
      }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
      return text.toString();
    }
  }

  /** {@code {"error":..., "tool":..., "message":...}}: what failed, in the shape of the guard's own block message. */
  private String failure(String error, String message) {
    return arguments.writeValueAsString(arguments.createObjectNode().put("error", error).put("tool", name())
        .put("message", message));
  }

  private static CallToolResult error(String text) {
    return CallToolResult.builder().addTextContent(text).isError(true).build();
  }

  private static String firstLine(String message) {
    String line = message == null ? "" : message.lines().findFirst().orElse("");
    return line.length() <= MAX_ERROR_CHARS ? line : line.substring(0, MAX_ERROR_CHARS) + "…";
  }
}
