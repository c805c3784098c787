package dev.airlock.internal.mcp.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.airlock.AirlockBlockedException;
import dev.airlock.AirlockContext;
import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.guard.Guard;
import dev.airlock.internal.guard.InProcessRateLimitStore;
import dev.airlock.internal.guard.MaskingRefusedException;
import dev.airlock.mcp.AirlockMcpGateway.InjectionAction;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connected through the gateway to one upstream MCP server. The gateway speaks to each side with its own
 * request ids: a client's id is kept here and never sent upstream, and an upstream answer whose id the gateway did
 * not issue is dropped, so neither side can answer for the other or complete someone else's call.
 *
 * <p>Forwarded: the methods of tools, resources, prompts, completion, logging and ping; {@code tools/list} results
 * are scanned and filtered against the pins, {@code tools/call} runs the guard. Not forwarded (refused with an
 * error): anything else, tasks included (a task's result would reach the client around the guard), and every request
 * the upstream sends to the client (sampling, elicitation, roots), which would let an untrusted server prompt the
 * client's model or read its roots; the client's capabilities for them are removed from {@code initialize}.
 */
public final class GatewaySession implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewaySession.class);
  private static final String QUALIFIER = "mcp";
  private static final Set<String> FORWARDED_REQUESTS = Set.of("ping", "resources/list", "resources/templates/list",
      "resources/read", "resources/subscribe", "resources/unsubscribe", "prompts/list", "prompts/get",
      "completion/complete", "logging/setLevel");
  /** Results of these go to the model: their strings are scanned as tool outputs are. */
  private static final Set<String> SCANNED_RESULTS = Set.of("resources/read", "prompts/get", "prompts/list",
      "resources/list", "resources/templates/list", "completion/complete");
  private static final Set<String> CLIENT_NOTIFICATIONS = Set.of("notifications/initialized",
      "notifications/cancelled", "notifications/progress");
  private static final Set<String> UPSTREAM_NOTIFICATIONS = Set.of("notifications/tools/list_changed",
      "notifications/resources/list_changed", "notifications/resources/updated",
      "notifications/prompts/list_changed", "notifications/message", "notifications/progress");
  /** Upstream notifications whose params carry prose for the model (log data, progress messages). */
  private static final Set<String> PROSE_NOTIFICATIONS = Set.of("notifications/message", "notifications/progress");
  /** Members of a result that carry no prose: never masked, truncated or rewritten. */
  private static final Set<String> STRUCTURAL = Set.of("type", "mimeType", "uri", "data", "name", "nextCursor",
      "blob");
  /**
   * Members the protocol defines inside the params of a notification, which the client reads, not the model: never
   * masked by their name ({@code progressToken} holds a word of a secret's name, and matches the client's request).
   */
  private static final Set<String> PROTOCOL_MEMBERS = Set.of("progressToken", "requestId");
  /** Structural members that hold encoded bytes, not text anyone reads. */
  private static final Set<String> BINARY = Set.of("data", "blob");
  private static final Set<String> STRIPPED_CLIENT_CAPABILITIES = Set.of("sampling", "elicitation", "roots",
      "tasks");
  private static final int MAX_LIST_PAGES = 100;
  /** The pins file is written at most once per this, with every change held meanwhile. */
  private static final Duration PINS_WRITE_INTERVAL = Duration.ofSeconds(1);
  /** Tools the gateway keeps track of; an upstream inventing names past this gets them neither shown nor tracked. */
  private static final int MAX_TOOLS = ToolPins.MAX_PINS;
  /** MCP's own limit on a tool name; a longer one would be kept as a key of the maps and the pins file. */
  private static final int MAX_TOOL_NAME_CHARS = 128;

  private final GatewaySettings settings;
  private final Upstream upstream;
  private final String upstreamLabel;
  private final Consumer<ObjectNode> toClient;
  private final JsonRpc json;
  private final Guard guard;
  private final ToolPins pins;
  private final InjectionScanner scanner = new InjectionScanner();
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong nextId = new AtomicLong(1);
  /** Tools that may be called, by name: their definitions as the upstream published them (for their schemas). */
  private final Map<String, JsonNode> callable = new ConcurrentHashMap<>();
  /** Tools hidden from the client, by name, with the reason. */
  private final Map<String, String> hidden = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer;
  private final ThreadPoolExecutor calls;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean pinsWriteScheduled = new AtomicBoolean();
  private volatile long lastPinsWrite = System.nanoTime() - PINS_WRITE_INTERVAL.toNanos();
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile String endReason;

  /** A request waiting for the upstream: what to do with its answer, and its timeout. */
  /**
   * A request waiting for the upstream. {@code onFailure} is told why no answer will come (a timeout, the upstream's
   * end): a tool call may have run upstream all the same, so it is audited then.
   */
  private record Pending(JsonNode clientId, String method, Consumer<ObjectNode> onAnswer, Consumer<String> onFailure,
      ScheduledFuture<?> timeout) {
  }

  public GatewaySession(GatewaySettings settings, Upstream upstream, String upstreamLabel,
      Consumer<ObjectNode> toClient) {
    this.settings = settings;
    this.upstream = upstream;
    this.upstreamLabel = upstreamLabel;
    this.toClient = toClient;
    this.json = new JsonRpc(settings.maxMessageBytes());
    this.guard = new Guard(name -> settings.policies().policy(name), new InProcessRateLimitStore(),
        Clock.systemUTC());
    this.pins = new ToolPins(settings.pinsFile());
    this.timer = Executors.newSingleThreadScheduledExecutor(daemon("airlock-mcp-timeout"));
    this.calls = new ThreadPoolExecutor(2, 4, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(settings.maxInFlight()), daemon("airlock-mcp-call"));
  }

  JsonRpc json() {
    return json;
  }

  /** Starts the upstream; its end ends the session. */
  public void start() throws IOException {
    upstream.start(this::onUpstreamMessage, this::end);
  }

  /** Blocks until the session has ended (upstream gone or {@link #close}); the reason. */
  public String awaitEnd() throws InterruptedException {
    ended.await();
    return endReason;
  }

  public boolean hasEnded() {
    return ended.getCount() == 0;
  }

  public List<ToolPins.Change> heldTools() {
    return pins.pending();
  }

  /** Audited calls per outcome since the session started. */
  public Map<String, Long> auditCounts() {
    return guard.auditLog().counts();
  }

  public boolean approve(String tool) {
    boolean approved = pins.approve(tool);
    if (approved) {
      refreshTools();
    }
    return approved;
  }

  // ---------------------------------------------------------------- from the client

  /** A line from the client that is not a JSON-RPC message: answered with an error, the session goes on. */
  public void onClientMalformed(String reason) {
    LOG.warn("Refused a malformed message from the MCP client: {}", shown(reason));
    toClient.accept(JsonRpc.error(null, JsonRpc.PARSE_ERROR, reason));
  }

  public void onClientMessage(ObjectNode message) {
    JsonNode id = message.get("id");
    String method = message.path("method").asText(null);
    if (method == null) {
      LOG.warn("Dropped a response from the MCP client: the gateway sent it no request (id {})", shown(id));
      return;
    }
    if (id == null) {
      onClientNotification(method, message);
      return;
    }
    ObjectNode params = message.get("params") instanceof ObjectNode p ? p : null;
    switch (method) {
      case "initialize" -> forward(id, method, stripClientCapabilities(params), this::onInitialized);
      case "tools/list" -> forward(id, method, params, answer -> onToolList(answer, true));
      case "tools/call" -> submitCall(id, params);
      default -> {
        if (FORWARDED_REQUESTS.contains(method)) {
          forward(id, method, params, SCANNED_RESULTS.contains(method) ? this::scanResult : a -> a);
        } else {
          toClient.accept(JsonRpc.error(id, JsonRpc.METHOD_NOT_FOUND, "the Airlock MCP gateway does not forward '"
              + method + "'"));
        }
      }
    }
  }

  private void onClientNotification(String method, ObjectNode message) {
    if (!CLIENT_NOTIFICATIONS.contains(method)) {
      LOG.debug("Dropped client notification {}", shown(method));
      return;
    }
    if (method.equals("notifications/cancelled")) {
      JsonNode clientId = message.path("params").get("requestId");
      if (clientId == null) {
        return;
      }
      // The gateway's own requests (its tool listings) wait under no client id: no client can cancel them.
      pending.forEach((upstreamId, p) -> {
        if (clientId.equals(p.clientId())) {
          ObjectNode params = JsonNodeFactory.instance.objectNode().put("requestId", upstreamId);
          sendUpstream(notification(method, params));
        }
      });
      return;
    }
    sendUpstream(message);
    if (method.equals("notifications/initialized")) {
      refreshTools();
    }
  }

  private static ObjectNode stripClientCapabilities(ObjectNode params) {
    if (params != null && params.get("capabilities") instanceof ObjectNode capabilities) {
      capabilities.remove(STRIPPED_CLIENT_CAPABILITIES);
    }
    return params;
  }

  // ---------------------------------------------------------------- tool calls

  private void submitCall(JsonNode id, ObjectNode params) {
    try {
      calls.execute(() -> call(id, params));
    } catch (RejectedExecutionException e) {
      toClient.accept(JsonRpc.error(id, JsonRpc.INTERNAL_ERROR, "the gateway has " + settings.maxInFlight()
          + " tool calls waiting already; retry later"));
    }
  }

  private void call(JsonNode id, ObjectNode params) {
    long start = System.nanoTime();
    if (params == null || !params.path("name").isTextual()) {
      toClient.accept(JsonRpc.error(id, JsonRpc.INVALID_PARAMS, "tools/call needs params.name, a string"));
      return;
    }
    String tool = params.path("name").asText();
    JsonNode arguments = params.has("arguments") ? params.get("arguments") : JsonNodeFactory.instance.objectNode();
    String policy = settings.policies().policyOf(tool);
    String refusal;
    try (AirlockContext.Scope scope = settings.caller().bind()) {
      refusal = refusal(tool, arguments, policy);
      if (refusal != null) {
        audit(tool, "blocked", refusal, start, arguments);
        toClient.accept(JsonRpc.result(id, JsonRpc.toolError(refusal)));
        return;
      }
    }
    ObjectNode forwarded = params.deepCopy();
    forwarded.remove("task");
    forward(id, "tools/call", forwarded, answer -> {
      try (AirlockContext.Scope scope = settings.caller().bind()) {
        return onToolResult(tool, policy, arguments, answer, start);
      }
    }, why -> {
      try (AirlockContext.Scope scope = settings.caller().bind()) {
        audit(tool, "error", why, start, arguments);
      }
    });
  }

  /** Why the call must not reach the upstream, as the model should read it; {@code null} when it may. */
  private String refusal(String tool, JsonNode arguments, String policy) {
    JsonNode definition = callable.get(tool);
    if (definition == null) {
      String why = hidden.get(tool);
      return why != null ? "Blocked by Airlock: tool '" + tool + "' is held back: " + why
          : "Blocked by Airlock: the upstream lists no approved tool named '" + tool + "'; call tools/list";
    }
    try {
      guard.before(tool, QUALIFIER, policy);
    } catch (AirlockBlockedException e) {
      return e.toModelMessage();
    }
    if (!arguments.isObject()) {
      return "Blocked by Airlock: the arguments of '" + tool + "' must be a JSON object";
    }
    List<String> problems = SchemaCheck.problems(definition.get("inputSchema"), arguments);
    if (!problems.isEmpty()) {
      return "Blocked by Airlock: invalid arguments for '" + tool + "': " + String.join("; ", problems);
    }
    if (settings.policies().needsApproval(tool)) {
      boolean approved;
      try {
        approved = settings.approver() != null && settings.approver().test(tool, JsonRpc.canonical(arguments));
      } catch (RuntimeException e) {
        LOG.warn("The approver of MCP tool {} failed: {}", shown(tool), shown(e.toString()));
        approved = false;
      }
      if (!approved) {
        return "Blocked by Airlock: a person must approve each call of '" + tool + "' and this one was not approved"
            + (settings.approver() == null ? " (no approver is configured)" : "");
      }
    }
    return null;
  }

  private ObjectNode onToolResult(String tool, String policy, JsonNode arguments, ObjectNode answer, long start) {
    if (answer.has("error")) {
      ObjectNode error = answer.deepCopy();
      String reason = "upstream error: " + error.path("error").path("code").asText();
      ((ObjectNode) error.get("error")).put("message", mask(error.path("error").path("message").asText(), policy));
      audit(tool, "error", reason, start, arguments);
      return error;
    }
    JsonNode result = answer.get("result");
    if (!(result instanceof ObjectNode cleaned)) {
      audit(tool, "error", "upstream result is not an object", start, arguments);
      return JsonRpc.result(answer.get("id"), JsonRpc.toolError("Airlock: the upstream's answer was malformed"));
    }
    List<InjectionScanner.Finding> findings = new ArrayList<>();
    try {
      cleaned = (ObjectNode) clean(cleaned.deepCopy(), null, policy, settings.outputAction(), findings);
    } catch (MaskingRefusedException e) {
      audit(tool, "blocked", "output could not be masked", start, arguments);
      return JsonRpc.result(answer.get("id"), JsonRpc.toolError("Airlock withheld the output of '" + tool
          + "': it could not be masked"));
    }
    if (!findings.isEmpty()) {
      LOG.warn("MCP tool {} output carries prompt-injection markers ({}): {}", shown(tool), settings.outputAction(),
          findings);
      if (unstrippable(findings, settings.outputAction())) {
        audit(tool, "blocked", "injection in output: " + findings, start, arguments);
        return JsonRpc.result(answer.get("id"), JsonRpc.toolError("Airlock withheld the output of '" + tool
            + "': it carries prompt-injection markers (" + rules(findings) + ")"));
      }
    }
    boolean isError = cleaned.path("isError").asBoolean(false);
    audit(tool, isError ? "error" : "success", findings.isEmpty() ? null
        : "injection in output (" + settings.outputAction().name().toLowerCase() + "): " + findings, start, arguments);
    return JsonRpc.result(answer.get("id"), cleaned);
  }

  private void audit(String tool, String outcome, String reason, long start, JsonNode arguments) {
    guard.audit(tool, outcome, reason, QUALIFIER + ":" + upstreamLabel, Duration.ofNanos(System.nanoTime() - start),
        new Object[] {JsonRpc.canonical(arguments)});
  }

  /**
   * Masks, truncates and scans every prose string of {@code node} (not type names, URIs or base64 data), collecting
   * findings and stripping them when the action says so; returns the node to use in its place.
   */
  private JsonNode clean(JsonNode node, String member, String policy, InjectionAction action,
      List<InjectionScanner.Finding> findings) {
    return clean(node, member, policy, action, findings, true);
  }

  /**
   * As above; {@code protocolShaped} false where the upstream names the members itself (structured content, the
   * params of a notification): there a member called {@code data} or {@code uri} is prose like any other, else it
   * would carry a secret or an instruction past the masking and the scanner.
   */
  private JsonNode clean(JsonNode node, String member, String policy, InjectionAction action,
      List<InjectionScanner.Finding> findings, boolean protocolShaped) {
    if (node.isTextual()) {
      if (protocolShaped && member != null && STRUCTURAL.contains(member)) {
        // Not rewritten (the client refers to a tool, a resource by it), but read: a model sees names and URIs.
        if (!BINARY.contains(member)) {
          scanner.scan(node.asText()).forEach(found -> findings.add(found.asFixedText()));
        }
        return node;
      }
      String text = policy == null ? node.asText()
          : !protocolShaped && member != null && !PROTOCOL_MEMBERS.contains(member)
          ? maskUnder(member, node.asText(), policy) : mask(node.asText(), policy);
      List<InjectionScanner.Finding> found = scanner.scan(text);
      findings.addAll(found);
      if (!found.isEmpty() && action == InjectionAction.STRIP) {
        text = scanner.strip(text, found);
      }
      return TextNode.valueOf(text);
    }
    if (node instanceof ObjectNode object) {
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        field.setValue(clean(field.getValue(), field.getKey(), policy, action, findings,
            protocolShaped && !field.getKey().equals("structuredContent")));
      }
    } else if (node instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        array.set(i, clean(array.get(i), member, policy, action, findings, protocolShaped));
      }
      scanAcrossItems(array, action, findings);
    }
    return node;
  }

  /**
   * Scans the texts of an array's items (a result's content) as the model reads them, one after the other: an
   * instruction split across two items is in neither. Stripped, the joined text takes the first item's place and the
   * other items' texts are emptied, since the marker belongs to none of them alone.
   */
  private void scanAcrossItems(ArrayNode array, InjectionAction action, List<InjectionScanner.Finding> findings) {
    List<ObjectNode> texts = new ArrayList<>();
    array.forEach(item -> {
      if (item instanceof ObjectNode object && object.path("text").isTextual()) {
        texts.add(object);
      }
    });
    if (texts.size() < 2) {
      return;
    }
    for (String separator : List.of("\n", "")) {
      String joined = String.join(separator, texts.stream().map(item -> item.get("text").asText()).toList());
      List<InjectionScanner.Finding> found = scanner.scan(joined);
      if (!found.isEmpty()) {
        findings.addAll(found);
        if (action == InjectionAction.STRIP) {
          texts.get(0).put("text", scanner.strip(joined, found));
          texts.subList(1, texts.size()).forEach(item -> item.put("text", ""));
        }
        return;
      }
    }
  }

  /** Findings that stripping cannot remove (in a name or a URI): only {@code FLAG} lets them through. */
  private static boolean unstrippable(List<InjectionScanner.Finding> findings, InjectionAction action) {
    return action == InjectionAction.BLOCK
        || action == InjectionAction.STRIP && findings.stream().anyMatch(InjectionScanner.Finding::fixedText);
  }

  /**
   * A copy of what the upstream sends outside a tool call (a resource, a prompt, a log message), masked by the default
   * policy and scanned: it reaches the model as a tool result does.
   */
  private JsonNode cleanByDefaultPolicy(JsonNode node, boolean protocolShaped,
      List<InjectionScanner.Finding> findings) {
    try (AirlockContext.Scope scope = settings.caller().bind()) {
      return clean(node.deepCopy(), null, ToolPolicies.DEFAULT, settings.outputAction(), findings, protocolShaped);
    }
  }

  private String mask(String text, String policy) {
    return (String) guard.after(text, policy);
  }

  /**
   * {@code text} masked as the value of a member the upstream named: under a secret's name ({@code password},
   * {@code AWS_SECRET_ACCESS_KEY}) it is replaced whole, as the same pair is in a text result.
   */
  private String maskUnder(String member, String text, String policy) {
    return (String) ((Map.Entry<?, ?>) guard.after(Map.entry(member, text), policy)).getValue();
  }

  private static String rules(List<InjectionScanner.Finding> findings) {
    return String.join(", ", findings.stream().map(InjectionScanner.Finding::rule).distinct().toList());
  }

  // ---------------------------------------------------------------- results that go to the model

  private ObjectNode onInitialized(ObjectNode answer) {
    if (answer.get("result") instanceof ObjectNode result) {
      if (result.get("capabilities") instanceof ObjectNode capabilities) {
        capabilities.remove(List.of("tasks", "experimental"));
      }
      result.set("serverInfo", serverInfo(result.get("serverInfo")));
      if (result.get("instructions") != null) {
        List<InjectionScanner.Finding> findings = new ArrayList<>();
        result.set("instructions", clean(result.get("instructions"), "instructions", null,
            settings.descriptionAction(), findings));
        if (!findings.isEmpty()) {
          LOG.warn("The upstream's instructions carry prompt-injection markers ({}): {}",
              settings.descriptionAction(), findings);
          if (settings.descriptionAction() == InjectionAction.BLOCK) {
            result.remove("instructions");
          }
        }
      }
    }
    return answer;
  }

  /**
   * The upstream's {@code serverInfo} as the client gets it: its name and version, each at most 128 characters and
   * without markers (else a placeholder). A title, website or icons would reach the client unmasked and unscanned; a
   * client shows them, and some put them before the model.
   */
  private ObjectNode serverInfo(JsonNode info) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    for (String member : List.of("name", "version")) {
      String text = info == null ? "" : info.path(member).asText("");
      boolean plain = text.length() <= MAX_TOOL_NAME_CHARS && scanner.scan(text).isEmpty();
      out.put(member, plain ? text : "(withheld by Airlock)");
    }
    return out;
  }

  private ObjectNode scanResult(ObjectNode answer) {
    if (!(answer.get("result") instanceof ObjectNode result)) {
      return answer;
    }
    List<InjectionScanner.Finding> findings = new ArrayList<>();
    JsonNode cleaned;
    try {
      cleaned = cleanByDefaultPolicy(result, true, findings);
    } catch (MaskingRefusedException e) {
      return JsonRpc.error(answer.get("id"), JsonRpc.INTERNAL_ERROR, "Airlock withheld the upstream's answer: it"
          + " could not be masked");
    }
    if (!findings.isEmpty()) {
      LOG.warn("An upstream result carries prompt-injection markers ({}): {}", settings.outputAction(), findings);
    }
    if (!findings.isEmpty() && unstrippable(findings, settings.outputAction())) {
      return JsonRpc.error(answer.get("id"), JsonRpc.INTERNAL_ERROR, "Airlock withheld the upstream's answer: it"
          + " carries prompt-injection markers (" + rules(findings) + ")");
    }
    answer.set("result", cleaned);
    return answer;
  }

  /**
   * Filters a {@code tools/list} result: a tool whose definition is not pinned, or (with {@code BLOCK}) carries
   * injection markers, is hidden and reported; the rest are shown, stripped when the action says so.
   */
  private ObjectNode onToolList(ObjectNode answer, boolean forClient) {
    if (!(answer.get("result") instanceof ObjectNode result) || !result.path("tools").isArray()) {
      return answer;
    }
    pins.reloadIfChanged();
    ArrayNode shown = JsonNodeFactory.instance.arrayNode();
    int dropped = 0;
    for (JsonNode tool : result.get("tools")) {
      if (!tool.isObject() || !tool.path("name").isTextual()
          || tool.path("name").asText().length() > MAX_TOOL_NAME_CHARS) {
        dropped++;
        continue;
      }
      String name = tool.get("name").asText();
      List<InjectionScanner.Finding> findings = new ArrayList<>();
      JsonNode cleaned = clean(tool.deepCopy(), null, null, settings.descriptionAction(), findings);
      List<InjectionScanner.Finding> inNames = new ArrayList<>();
      scanMemberNames(tool.get("inputSchema"), inNames);
      inNames.forEach(found -> findings.add(found.asFixedText()));
      var change = pins.admit(name, tool);
      if (change.isPresent()) {
        hide(name, change.get().kind() + " since it was approved (" + change.get().newHash()
            + "); a person must approve the new definition");
        continue;
      }
      if (!findings.isEmpty()) {
        LOG.warn("MCP tool {} definition carries prompt-injection markers ({}): {}", shown(name),
            settings.descriptionAction(), findings);
        // A tool's or a parameter's name cannot be stripped: the upstream expects it. Only FLAG lets it through.
        if (unstrippable(findings, settings.descriptionAction())) {
          hide(name, "its definition carries prompt-injection markers (" + rules(findings) + ")");
          continue;
        }
      }
      hidden.remove(name);
      if (callable.containsKey(name) || callable.size() < MAX_TOOLS) {
        callable.put(name, tool);
        shown.add(cleaned);
      }
    }
    if (dropped > 0) {
      LOG.warn("Dropped {} tools without a name, or with a name longer than {} characters, from the upstream's"
          + " tools/list", dropped, MAX_TOOL_NAME_CHARS);
    }
    if (!result.hasNonNull("nextCursor")) {
      pins.fix();
    }
    savePinsSoon();
    ObjectNode out = answer.deepCopy();
    ((ObjectNode) out.get("result")).set("tools", shown);
    return out;
  }

  /**
   * Writes the held changes to the pins file within {@link #PINS_WRITE_INTERVAL}, once for all that came meanwhile:
   * the file holds every pending definition and is rewritten whole, and an upstream changing tools in every listing
   * made the host rewrite it for each tool of each listing (75 MB for 1.8 MB of listings).
   */
  private void savePinsSoon() {
    if (!pinsWriteScheduled.compareAndSet(false, true)) {
      return; // a write is due already, and takes this change with it
    }
    long wait = lastPinsWrite + PINS_WRITE_INTERVAL.toNanos() - System.nanoTime();
    if (wait <= 0) {
      writePins(); // the first change after a quiet second is written at once, for the person who approves it
      return;
    }
    try {
      timer.schedule(this::writePins, wait, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      writePins(); // the session is ending
    }
  }

  private void writePins() {
    pinsWriteScheduled.set(false);
    if (pins.saveIfChanged()) {
      lastPinsWrite = System.nanoTime();
    }
  }

  /** Member names of a schema (parameter names), where "full-schema poisoning" hides instructions. */
  private void scanMemberNames(JsonNode node, List<InjectionScanner.Finding> findings) {
    if (node == null) {
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      findings.addAll(scanner.scan(field.getKey()));
      scanMemberNames(field.getValue(), findings);
    }
    if (node.isArray()) {
      node.forEach(element -> scanMemberNames(element, findings));
    }
  }

  private void hide(String name, String why) {
    callable.remove(name);
    if (!hidden.containsKey(name) && hidden.size() >= MAX_TOOLS) {
      return;
    }
    if (!why.equals(hidden.put(name, why))) {
      guard.audit(name, "held", why, QUALIFIER + ":" + upstreamLabel, Duration.ZERO, new Object[0]);
    }
  }

  /** The gateway's own listing (at start and when the upstream says its tools changed), pages followed. */
  private void refreshTools() {
    refreshTools(null, 0);
  }

  private void refreshTools(String cursor, int page) {
    ObjectNode params = cursor == null ? null : JsonNodeFactory.instance.objectNode().put("cursor", cursor);
    forward(null, "tools/list", params, answer -> {
      onToolList(answer, false);
      String next = answer.path("result").path("nextCursor").asText(null);
      if (next != null && page + 1 < MAX_LIST_PAGES) {
        refreshTools(next, page + 1);
      } else if (next != null) {
        // A listing that never ends must not keep the pins open: every tool it shows later would be trusted unseen.
        LOG.warn("The upstream's tools/list has more than {} pages; the pins are fixed at what they held", page + 1);
        pins.fix();
      }
      return null;
    });
  }

  // ---------------------------------------------------------------- to and from the upstream

  /**
   * Sends a request upstream under a fresh id of the gateway's; its answer, passed through {@code onAnswer}, goes
   * to the client under {@code clientId} (nowhere when {@code null}, or when {@code onAnswer} returns null).
   */
  private void forward(JsonNode clientId, String method, ObjectNode params, java.util.function.UnaryOperator<ObjectNode>
      onAnswer) {
    forward(clientId, method, params, onAnswer, why -> { });
  }

  private void forward(JsonNode clientId, String method, ObjectNode params, java.util.function.UnaryOperator<ObjectNode>
      onAnswer, Consumer<String> onFailure) {
    if (pending.size() >= settings.maxInFlight()) {
      reply(clientId, JsonRpc.error(clientId, JsonRpc.INTERNAL_ERROR, settings.maxInFlight()
          + " requests are waiting for the upstream already; retry later"));
      return;
    }
    long id = nextId.getAndIncrement();
    ScheduledFuture<?> timeout = timer.schedule(() -> timedOut(id), settings.callTimeout().toMillis(),
        TimeUnit.MILLISECONDS);
    pending.put(id, new Pending(clientId, method, answer -> {
      ObjectNode out;
      try {
        out = onAnswer.apply(answer);
      } catch (RuntimeException e) {
        LOG.error("Could not process the upstream's answer to {}", shown(method), e);
        out = JsonRpc.error(clientId, JsonRpc.INTERNAL_ERROR, "the gateway could not process the upstream's answer");
      }
      if (out != null) {
        out.set("id", clientId);
        reply(clientId, out);
      }
    }, onFailure, timeout));
    if (!sendUpstream(JsonRpc.request(id, method, params))) {
      Pending p = pending.remove(id);
      if (p != null) {
        p.timeout().cancel(false);
        p.onFailure().accept("the upstream MCP server is gone");
        reply(clientId, JsonRpc.error(clientId, JsonRpc.UPSTREAM_ERROR, "the upstream MCP server is gone"));
      }
    }
  }

  private void reply(JsonNode clientId, ObjectNode message) {
    if (clientId != null && !closed.get()) {
      toClient.accept(message);
    }
  }

  private void timedOut(long id) {
    Pending p = pending.remove(id);
    if (p == null) {
      return;
    }
    LOG.warn("The upstream did not answer {} within {}", shown(p.method()), settings.callTimeout());
    p.onFailure().accept("the upstream did not answer within " + settings.callTimeout().toSeconds() + " s");
    sendUpstream(notification("notifications/cancelled", JsonNodeFactory.instance.objectNode().put("requestId", id)
        .put("reason", "timed out at the Airlock gateway")));
    reply(p.clientId(), p.method().equals("tools/call")
        ? JsonRpc.result(p.clientId(), JsonRpc.toolError("Airlock: the upstream did not answer within "
            + settings.callTimeout().toSeconds() + " s"))
        : JsonRpc.error(p.clientId(), JsonRpc.UPSTREAM_ERROR, "the upstream did not answer within "
            + settings.callTimeout().toSeconds() + " s"));
  }

  private boolean sendUpstream(ObjectNode message) {
    try {
      upstream.send(message);
      return true;
    } catch (IOException e) {
      LOG.warn("Cannot write to the upstream MCP server: {}", shown(e.getMessage()));
      return false;
    }
  }

  private void onUpstreamMessage(ObjectNode message) {
    JsonNode id = message.get("id");
    String method = message.path("method").asText(null);
    if (method == null) {
      Pending p = id != null && id.isIntegralNumber() ? pending.remove(id.asLong()) : null;
      if (p == null) {
        LOG.warn("Dropped an upstream answer to a request the gateway did not send or no longer waits for (id {})",
            shown(id));
        return;
      }
      p.timeout().cancel(false);
      if (!message.has("result") && !(message.get("error") instanceof ObjectNode)) {
        message = JsonRpc.error(id, JsonRpc.UPSTREAM_ERROR, "the upstream answered with neither result nor error");
      } else if (!message.has("result")) {
        message = cleanError(message);
      }
      p.onAnswer().accept(message);
      return;
    }
    if (id != null) {
      if (method.equals("ping")) {
        sendUpstream(JsonRpc.result(id, JsonNodeFactory.instance.objectNode()));
      } else {
        LOG.warn("Refused upstream request {}: the gateway does not pass server-to-client requests", shown(method));
        sendUpstream(JsonRpc.error(id, JsonRpc.METHOD_NOT_FOUND, "the Airlock MCP gateway does not forward '"
            + method + "' to its client"));
      }
      return;
    }
    if (UPSTREAM_NOTIFICATIONS.contains(method)) {
      if (method.equals("notifications/tools/list_changed") && ended.getCount() > 0) {
        refreshTools();
      }
      message = PROSE_NOTIFICATIONS.contains(method) ? cleanNotification(message) : definedMembers(message);
      if (message != null) {
        toClient.accept(message);
      }
    }
  }

  /**
   * An upstream's error answer as the client gets it: its code, and its message masked by the default policy and
   * scanned as an output is (stripped, or withheld when the action blocks); its {@code data}, any JSON the upstream
   * likes, is dropped. A client shows the model a failed call's message as it shows a result.
   */
  private ObjectNode cleanError(ObjectNode answer) {
    JsonNode error = answer.get("error");
    int code = error.path("code").canConvertToInt() ? error.path("code").asInt() : JsonRpc.UPSTREAM_ERROR;
    String text = error.path("message").isTextual() ? error.path("message").asText() : "";
    List<InjectionScanner.Finding> findings = new ArrayList<>();
    String message;
    try {
      message = cleanByDefaultPolicy(TextNode.valueOf(text), false, findings).asText();
    } catch (MaskingRefusedException e) {
      message = "the upstream's error message was withheld: it could not be masked";
    }
    if (!findings.isEmpty() && unstrippable(findings, settings.outputAction())) {
      LOG.warn("An upstream error message carries prompt-injection markers: {}", findings);
      message = "the upstream's error message was withheld: it carries prompt-injection markers (" + rules(findings)
          + ")";
    }
    return JsonRpc.error(answer.get("id"), code, message);
  }

  /**
   * A log or progress message of the upstream reaches the model as a tool output does, during or outside a call:
   * masked by the default policy and scanned; {@code null} (dropped) when it carries markers and the action blocks.
   */
  private ObjectNode cleanNotification(ObjectNode message) {
    if (message.get("params") == null) {
      return message;
    }
    List<InjectionScanner.Finding> findings = new ArrayList<>();
    JsonNode params;
    try {
      params = cleanByDefaultPolicy(message.get("params"), false, findings);
    } catch (MaskingRefusedException e) {
      LOG.warn("Dropped an upstream {}: it could not be masked", shown(message.path("method").asText()));
      return null;
    }
    if (!findings.isEmpty()) {
      LOG.warn("An upstream {} carries prompt-injection markers ({}): {}", shown(message.path("method").asText()),
          settings.outputAction(), findings);
      if (unstrippable(findings, settings.outputAction())) {
        return null;
      }
    }
    ObjectNode out = message.deepCopy();
    out.set("params", params);
    return out;
  }

  /**
   * A notification that carries no prose, rebuilt with the members its method defines (the {@code uri} of
   * {@code resources/updated}, nothing for a {@code list_changed}): any other member would reach the client unmasked
   * and unscanned. {@code null} (dropped) when the URI carries markers and the action is not {@code FLAG}.
   */
  private ObjectNode definedMembers(ObjectNode message) {
    String method = message.path("method").asText();
    JsonNode uri = message.path("params").get("uri");
    if (!method.equals("notifications/resources/updated")) {
      return JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0").put("method", method);
    }
    if (uri == null || !uri.isTextual()) {
      return null;
    }
    List<InjectionScanner.Finding> findings = scanner.scan(uri.asText());
    if (!findings.isEmpty() && settings.outputAction() != InjectionAction.FLAG) {
      LOG.warn("Dropped an upstream {}: its URI carries prompt-injection markers: {}", shown(method), findings);
      return null;
    }
    return notification(method, JsonNodeFactory.instance.objectNode().put("uri", uri.asText()));
  }

  private static ObjectNode notification(String method, ObjectNode params) {
    ObjectNode out = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0").put("method", method);
    out.set("params", params);
    return out;
  }

  private void end(String reason) {
    if (ended.getCount() == 0) {
      return;
    }
    endReason = reason;
    closed.set(true);
    for (Long id : List.copyOf(pending.keySet())) {
      Pending p = pending.remove(id);
      if (p != null && p.clientId() != null) {
        p.timeout().cancel(false);
        p.onFailure().accept("the upstream MCP server ended: " + reason);
        toClient.accept(JsonRpc.error(p.clientId(), JsonRpc.UPSTREAM_ERROR, "the upstream MCP server ended: "
            + reason));
      }
    }
    timer.shutdownNow();
    pins.saveIfChanged();
    calls.shutdownNow();
    upstream.close();
    ended.countDown();
  }

  @Override
  public void close() {
    end("the gateway closed the session");
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Text of the client's or the upstream's choosing (a tool name, a method, an id, an error) as a host log line quotes
   * it: escaped, so a line break, a terminal escape or a bidi override cannot forge or hide a line of the host's log.
   */
  static String shown(Object text) {
    return GuestText.escape(String.valueOf(text));
  }
}
