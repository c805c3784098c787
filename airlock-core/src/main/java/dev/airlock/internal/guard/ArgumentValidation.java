package dev.airlock.internal.guard;

import dev.airlock.AirlockBlockedException.Reason;
import dev.airlock.AirlockBlockedException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jakarta Bean Validation of a tool's parameters on the host, before anything is shipped. Optional: without the
 * API and a provider on the classpath, {@link #check} accepts everything.
 */
final class ArgumentValidation {
  private static final Logger LOG = LoggerFactory.getLogger(ArgumentValidation.class);
  private static final Object VALIDATOR = createValidator();

  private ArgumentValidation() {
  }

  private static Object createValidator() {
    try {
      Class.forName("jakarta.validation.Validation", false, ArgumentValidation.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      return null;
    }
    return Jakarta.create();
  }

  static boolean available() {
    return VALIDATOR != null;
  }

  static void check(String tool, Object receiver, Method method, Object[] args) {
    if (VALIDATOR != null) {
      Jakarta.check((Validator) VALIDATOR, tool, receiver, method, args);
    }
  }

  /** Touches jakarta types only when the API is present. */
  private static final class Jakarta {
    static Object create() {
      try {
        return Validation.buildDefaultValidatorFactory().getValidator();
      } catch (RuntimeException | LinkageError e) {
        LOG.debug("Jakarta Validation API present but no provider: arguments are not validated ({})", e.toString());
        return null;
      }
    }

    static void check(Validator validator, String tool, Object receiver, Method method, Object[] args) {
      // Bean Validation ignores static methods by specification: only instance tools are validated.
      if (receiver == null) {
        return;
      }
      Set<ConstraintViolation<Object>> violations =
          validator.forExecutables().validateParameters(receiver, method, args);
      if (violations.isEmpty()) {
        return;
      }
      List<String> hints = new ArrayList<>();
      List<String> params = new ArrayList<>();
      violations.stream().sorted(Comparator.comparing(v -> v.getPropertyPath().toString())).forEach(v -> {
        String path = v.getPropertyPath().toString();
        String param = path.contains(".") ? path.substring(path.indexOf('.') + 1) : path;
        params.add(param);
        hints.add("fix " + param + ": it " + v.getMessage());
      });
      throw new AirlockBlockedException(tool, Reason.VALIDATION, "constraints on " + params,
          "invalid argument(s) " + params, hints);
    }
  }
}
