package dev.airlock;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Who is calling tools: bound for a scope on the calling thread, read by policies (roles) and audit records (agent,
 * session). It stays on the host: nothing of it is shipped into a sandbox.
 *
 * <pre>{@code
 * try (AirlockContext.Scope scope = new AirlockContext("planner", "session-42", Set.of("reader"), Map.of()).bind()) {
 *   tools.search("...");
 * }
 * }</pre>
 */
public record AirlockContext(String agentId, String sessionId, Set<String> roles, Map<String, String> metadata) {
  /**
   * The {@link #metadata()} key under which a framework adapter puts the model's id of the tool call it is running
   * (bind one context per call); traces report it as {@code gen_ai.tool.call.id}.
   */
  public static final String TOOL_CALL_ID = "gen_ai.tool.call.id";

  private static final ThreadLocal<AirlockContext> CURRENT = new ThreadLocal<>();

  public AirlockContext {
    roles = Set.copyOf(roles);
    metadata = Map.copyOf(metadata);
  }

  /** The context bound on this thread, if any. */
  public static Optional<AirlockContext> current() {
    return Optional.ofNullable(CURRENT.get());
  }

  /** Binds this context until the returned scope is closed; the previous one comes back then. */
  public Scope bind() {
    AirlockContext previous = CURRENT.get();
    CURRENT.set(this);
    return () -> {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    };
  }

  /** A binding, undone by {@link #close()}. */
  @FunctionalInterface
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }
}
