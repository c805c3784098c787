package dev.airlock.samples.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.AirlockApprovalRequiredException;
import dev.airlock.AirlockApprovals;
import dev.airlock.AirlockBlockedException;
import dev.airlock.ApprovalDecision;
import dev.airlock.internal.intercept.AirlockInterceptor;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.service.tool.ToolExecutor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hands LangChain4j a tool executor per {@code @Tool} method that calls it through Airlock's interceptor, so the
 * guard and the sandbox apply without weaving; a block, or "awaiting approval" for a call a person must approve,
 * becomes the tool result the model reads. {@link #resume} gives the approved call's result in the same form, for
 * the application to deliver to the model.
 */
public final class AirlockToolExecutors {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AirlockToolExecutors() {
  }

  public static Map<ToolSpecification, ToolExecutor> of(Object tools) {
    Map<ToolSpecification, ToolExecutor> executors = new LinkedHashMap<>();
    for (Method method : tools.getClass().getMethods()) {
      if (method.isAnnotationPresent(Tool.class)) {
        executors.put(ToolSpecifications.toolSpecificationFrom(method), (request, memoryId) ->
            execute(tools, method, request.arguments()));
      }
    }
    return executors;
  }

  private static String execute(Object tools, Method method, String arguments) {
    return toolResult(() -> {
      Object[] args = arguments(method, arguments);
      return AirlockInterceptor.shared().intercept(tools, method, args, () -> {
        try {
          return method.invoke(tools, args);
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
      });
    });
  }

  /** Decides the suspended call {@code callId}: its result, or why it did not run, as a tool result. */
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

  private static Object[] arguments(Method method, String json) throws java.io.IOException {
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
