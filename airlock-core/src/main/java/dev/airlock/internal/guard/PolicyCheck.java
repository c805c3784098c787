package dev.airlock.internal.guard;

import dev.airlock.AirlockBlockedException.Reason;
import dev.airlock.AirlockBlockedException;
import dev.airlock.AirlockContext;
import dev.airlock.AirlockPolicy;
import dev.airlock.RateLimitStore;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** The policy rules, in order: deny globs, allow globs, roles, time window, rate limit (which spends a permit). */
final class PolicyCheck {
  private final RateLimitStore rateLimits;
  private final Clock clock;

  PolicyCheck(RateLimitStore rateLimits, Clock clock) {
    this.rateLimits = rateLimits;
    this.clock = clock;
  }

  void check(String policyName, AirlockPolicy policy, ToolName tool, AirlockContext context) {
    for (String glob : policy.deny()) {
      if (tool.matches(glob)) {
        throw new AirlockBlockedException(tool.simple(), Reason.DENIED, "deny: " + glob,
            "the policy denies tools matching " + glob, List.of("do not call " + tool.simple()
                + "; use another tool allowed by policy '" + policyName + "'"));
      }
    }
    if (policy.denyByDefault() && policy.allow().stream().noneMatch(tool::matches)) {
      throw new AirlockBlockedException(tool.simple(), Reason.DENIED, "deny-by-default (allow: " + policy.allow() + ")",
          "the policy allows only tools matching " + policy.allow(),
          List.of("call one of the tools matching " + policy.allow()));
    }
    Set<String> missing = new TreeSet<>(policy.requiredRoles());
    missing.removeAll(context == null ? Set.of() : context.roles());
    if (!missing.isEmpty()) {
      throw new AirlockBlockedException(tool.simple(), Reason.MISSING_ROLE, "roles: " + policy.requiredRoles(),
          "the caller lacks the role(s) " + missing, List.of("ask an operator for the role(s) " + missing
              + " or use a tool that does not need them"));
    }
    AirlockPolicy.TimeWindow window = policy.timeWindow();
    if (window != null) {
      LocalTime now = clock.instant().atZone(window.zone()).toLocalTime();
      if (!window.contains(now)) {
        throw new AirlockBlockedException(tool.simple(), Reason.OUTSIDE_TIME_WINDOW, "time-window " + window,
            "calls are allowed only between " + window.start() + " and " + window.end() + " " + window.zone()
                + "; it is " + now.withNano(0),
            List.of("call " + tool.simple() + " again after " + window.start() + " " + window.zone()));
      }
    }
    AirlockPolicy.RateLimit limit = policy.rateLimit();
    if (limit != null) {
      Duration wait = rateLimits.tryAcquire(policyName + "/" + tool.qualified(), limit.permits(), limit.period(),
          clock.instant());
      if (!wait.isZero()) {
        long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        throw new AirlockBlockedException(tool.simple(), Reason.RATE_LIMITED, "rate-limit " + limit,
            tool.simple() + " may be called " + limit + " and that budget is spent",
            List.of("wait " + seconds + " s before calling " + tool.simple() + " again"));
      }
    }
  }

  /** A tool's two names: {@code method} and {@code SimpleClass.method}. */
  record ToolName(String simple, String qualified) {
    boolean matches(String glob) {
      Pattern p = glob(glob);
      return p.matcher(simple).matches() || p.matcher(qualified).matches();
    }
  }

  /** A tool-name glob ({@code *} any run, {@code ?} one character, everything else literal) as a pattern. */
  static Pattern glob(String glob) {
    StringBuilder regex = new StringBuilder();
    for (char c : glob.toCharArray()) {
      regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
    }
    return Pattern.compile(regex.toString());
  }
}
