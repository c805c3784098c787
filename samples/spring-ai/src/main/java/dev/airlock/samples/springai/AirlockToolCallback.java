package dev.airlock.samples.springai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.AirlockApprovalRequiredException;
import dev.airlock.AirlockApprovals;
import dev.airlock.AirlockBlockedException;
import dev.airlock.ApprovalDecision;
import dev.airlock.internal.intercept.AirlockInterceptor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.Arrays;
import org.springframework.ai.support.ToolCallbacks;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.definition.ToolDefinition;

/**
 * A Spring AI tool callback that calls its {@code @Tool} method through Airlock's interceptor, so the guard and the
 * sandbox apply without weaving; a block, or "awaiting approval" for a call a person must approve, becomes the tool
 * response the model reads. {@link #resume} gives the approved call's result in the same form.
 */
public final class AirlockToolCallback implements ToolCallback {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Object tools;
  private final Method method;
  private final ToolDefinition definition;

  private AirlockToolCallback(Object tools, Method method, ToolDefinition definition) {
    this.tools = tools;
    this.method = method;
    this.definition = definition;
  }

  /** One callback per {@code @Tool} method of {@code tools}, with Spring AI's own tool definitions. */
  public static ToolCallback[] from(Object tools) {
    return Arrays.stream(ToolCallbacks.from(tools)).map(spring -> {
      String name = spring.getToolDefinition().name();
      Method method = Arrays.stream(tools.getClass().getMethods()).filter(m -> m.getName().equals(name))
          .findFirst().orElseThrow();
      return new AirlockToolCallback(tools, method, spring.getToolDefinition());
    }).toArray(ToolCallback[]::new);
  }

  @Override
  public ToolDefinition getToolDefinition() {
    return definition;
  }

  @Override
  public String call(String toolInput) {
    return toolResult(() -> {
      Object[] args = arguments(toolInput);
      return AirlockInterceptor.shared().intercept(tools, method, args, () -> {
        try {
          return method.invoke(tools, args);
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
      });
    });
  }

  /** Decides the suspended call {@code callId}: its result, or why it did not run, as a tool response. */
  public static String resume(String callId, ApprovalDecision decision) {
    return toolResult(() -> AirlockApprovals.shared().resume(callId, decision));
  }

  private interface ToolCall {
    Object call() throws Throwable;
  }

  private static String toolResult(ToolCall call) {
    try {
      return String.valueOf(call.call());
    } catch (AirlockBlockedException e) {
      return e.toModelMessage();
    } catch (AirlockApprovalRequiredException e) {
      return e.toModelMessage();
    } catch (Throwable t) {
      return "{\"error\":" + JSON.valueToTree(t.getClass().getSimpleName() + ": " + t.getMessage()) + "}";
    }
  }

  private Object[] arguments(String json) throws java.io.IOException {
    JsonNode node = JSON.readTree(json == null || json.isBlank() ? "{}" : json);
    Parameter[] params = method.getParameters();
    Object[] args = new Object[params.length];
    for (int i = 0; i < params.length; i++) {
      JsonNode value = node.get(params[i].getName());
      args[i] = value == null || value.isNull() ? null : JSON.treeToValue(value, params[i].getType());
    }
    return args;
  }
}
