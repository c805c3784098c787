package dev.airlock;

import java.util.concurrent.CompletionStage;

/**
 * Asks a person whether a tool call may run, in {@link AirlockApprovals}' blocking mode: the calling thread waits
 * for the answer up to the configured timeout, and no answer by then denies the call.
 *
 * <pre>{@code
 * ApprovalHandler slack = request -> slackBot.ask(request.tool() + " " + request.arguments())   // a CompletableFuture
 *     .thenApply(yes -> yes ? ApprovalDecision.approve("slack") : ApprovalDecision.deny("slack", "refused"));
 * }</pre>
 */
@FunctionalInterface
public interface ApprovalHandler {

  /**
   * Starts asking and returns at once; the stage completes with the person's decision. A handler that answers on
   * the spot returns {@code CompletableFuture.completedFuture(...)}. A stage that fails or does not complete within
   * the timeout denies the call.
   */
  CompletionStage<ApprovalDecision> decide(ApprovalRequest request);

  /**
   * Whether this handler may see arguments unmasked. By default it sees them masked by the tool's policy, as the
   * tool's output would be: approvals often travel through chat tools and tickets.
   */
  default boolean trusted() {
    return false;
  }
}
