package dev.airlock.internal.mcp.serve;

import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A tool's name and descriptions, reused from the tool annotations an application may already have on the method:
 * Spring AI's {@code @Tool(name, description)} and {@code @ToolParam(description, required)}, LangChain4j's
 * {@code @Tool(name, value)} and {@code @P(value, required)}; read by name, so neither library is needed.
 */
final class ToolText {
  private static final String SPRING_TOOL = "org.springframework.ai.tool.annotation.Tool";
  private static final String SPRING_PARAM = "org.springframework.ai.tool.annotation.ToolParam";
  private static final String LANGCHAIN4J_TOOL = "dev.langchain4j.agent.tool.Tool";
  private static final String LANGCHAIN4J_PARAM = "dev.langchain4j.agent.tool.P";

  private ToolText() {
  }

  /** The annotation's name, else the method's. */
  static String name(Method method) {
    return text(method, SPRING_TOOL, "name").or(() -> text(method, LANGCHAIN4J_TOOL, "name"))
        .orElse(method.getName());
  }

  /** The annotation's description, else one that says what the tool runs and how it is guarded. */
  static String description(Method method, boolean sandboxed) {
    return text(method, SPRING_TOOL, "description").or(() -> text(method, LANGCHAIN4J_TOOL, "value"))
        .orElseGet(() -> "Calls " + method.getDeclaringClass().getSimpleName() + "." + method.getName() + "("
            + Arrays.stream(method.getParameters()).map(Parameter::getName).collect(Collectors.joining(", "))
            + ")" + (sandboxed ? " in an isolated sandbox." : "."));
  }

  static Optional<String> parameterDescription(Parameter parameter) {
    return text(parameter, SPRING_PARAM, "description").or(() -> text(parameter, LANGCHAIN4J_PARAM, "value"));
  }

  /** False when {@code @ToolParam(required = false)} or {@code @P(required = false)} says so. */
  static boolean parameterRequired(Parameter parameter) {
    return !Boolean.FALSE.equals(attribute(parameter, SPRING_PARAM, "required").orElse(true))
        && !Boolean.FALSE.equals(attribute(parameter, LANGCHAIN4J_PARAM, "required").orElse(true));
  }

  /** A non-blank text attribute; a {@code String[]} (LangChain4j's {@code value}) is joined by new lines. */
  private static Optional<String> text(AnnotatedElement element, String annotation, String attribute) {
    return attribute(element, annotation, attribute).map(value -> value instanceof String[] lines
        ? String.join("\n", lines) : String.valueOf(value)).filter(text -> !text.isBlank());
  }

  private static Optional<Object> attribute(AnnotatedElement element, String annotation, String attribute) {
    for (Annotation present : element.getAnnotations()) {
      if (present.annotationType().getName().equals(annotation)) {
        try {
          return Optional.ofNullable(present.annotationType().getMethod(attribute).invoke(present));
        } catch (NoSuchMethodException e) {
          return Optional.empty();
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException("cannot read " + attribute + " of " + present, e);
        }
      }
    }
    return Optional.empty();
  }
}
