package dev.airlock.internal.mcp.gateway;

import dev.airlock.AirlockContext;
import dev.airlock.mcp.AirlockMcpGateway.InjectionAction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BiPredicate;

/**
 * Everything a gateway session needs, immutable.
 *
 * @param policies the policy of each tool, and the tools needing approval
 * @param approver asked for each call of a tool needing approval: (tool, arguments as JSON) to yes or no;
 *     {@code null}: such calls are refused
 * @param descriptionAction what to do with a tool definition that carries injection markers
 * @param outputAction what to do with a tool output that carries injection markers
 * @param pinsFile where pins live across sessions; {@code null}: trust the first listing of each session
 * @param caller who calls, for role checks and audit records
 * @param maxMessageBytes the longest JSON-RPC line accepted from either side
 * @param callTimeout how long a request waits for the upstream's answer
 * @param maxInFlight how many requests may wait for the upstream at once
 */
public record GatewaySettings(ToolPolicies policies, BiPredicate<String, String> approver,
    InjectionAction descriptionAction, InjectionAction outputAction, Path pinsFile, AirlockContext caller,
    int maxMessageBytes, Duration callTimeout, int maxInFlight) {
}
