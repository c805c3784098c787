package dev.airlock.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Lets the instance fields of a class cross into the sandbox when an object of it is the receiver of a sandboxed
 * call. Without it, a receiver with instance state is refused before anything is sent: a service object usually
 * holds more than the tool needs (clients, configuration, keys), and the guest can read all of it.
 *
 * <pre>{@code
 * @ShipFields
 * public class Formatter {
 *   private final Locale locale;       // crosses: the sandboxed method needs it
 *   private transient ApiClient api;   // transient: stays on the host
 *
 *   @Airlock(sandbox = true)
 *   public String format(double amount) { ... }
 * }
 * }</pre>
 *
 * <p>Records and classes without instance fields ship without it. Even with it, a field whose name or binding marks
 * a secret ({@code *key*}, {@code *secret*}, {@code *password*}, {@code *token*}, {@code *credential*}, Spring
 * {@code @Value} or {@code @ConfigurationProperties} state) is refused: secrets never enter a sandbox.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface ShipFields {
}
