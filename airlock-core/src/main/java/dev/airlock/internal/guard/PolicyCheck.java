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
      return globMatches(glob, simple) || globMatches(glob, qualified);
    }
  }

  /**
   * Whether {@code name} matches a tool-name glob ({@code *} any run, {@code ?} one character, everything else
   * literal). Matched without a regular expression, in at most glob length × name length steps: an MCP gateway
   * matches the tool name a client sends against the configured globs, and as a {@code .*}-pattern a glob of k stars
   * backtracked through a name in about n^k steps ({@code *_*_*x} against 4,000 underscores took 40 s; a 4 MiB name
   * held a call thread for good). Every character is a character here, line terminators too, which {@code .} skipped.
   */
  static boolean globMatches(String glob, String name) {
    int[] g = glob.codePoints().toArray();
    int[] n = name.codePoints().toArray();
    int gi = 0;
    int ni = 0;
    int star = -1;
    int resume = 0;
    while (ni < n.length) {
      if (gi < g.length && g[gi] != '*' && (g[gi] == '?' || g[gi] == n[ni])) {
        gi++;
        ni++;
      } else if (gi < g.length && g[gi] == '*') {
        // Only the last star needs to be moved: a match up to it is as good as any other.
        star = gi++;
        resume = ni;
      } else if (star >= 0) {
        gi = star + 1;
        ni = ++resume;
      } else {
        return false;
      }
    }
    while (gi < g.length && g[gi] == '*') {
      gi++;
    }
    return gi == g.length;
  }
}
