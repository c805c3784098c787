package dev.airlock.internal.mcp.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tool definitions a person has accepted, by hash: SHA-256 of the canonical JSON of the whole definition, every
 * member the client receives ({@code _meta} and {@code icons} too: a client renders a UI resource or fetches an icon a
 * member names, so a change there is a rug pull as a new description is). A definition that differs from its pin (a "rug
 * pull": the description changed after the tool was trusted) and a tool that was not there when the pins were fixed
 * are held back, reported and listed until {@link #approve} accepts them.
 *
 * <p>Without a pins file, the first complete {@code tools/list} fixes the pins (trust on first use). With a file, the
 * file is the truth: it is read at start and again when it changes on disk (a person approved with the command), and
 * every change the gateway sees is written to it under {@code "pending"}, so the command can approve it.
 */
public final class ToolPins {
  private static final Logger LOG = LoggerFactory.getLogger(ToolPins.class);
  private static final ObjectMapper FILE_JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** A tool definition held back, with the hash it had when pinned ({@code null}: a new tool). */
  public record Change(String tool, String pinnedHash, String newHash, ObjectNode definition) {
    public String kind() {
      return pinnedHash == null ? "new tool" : "definition changed";
    }
  }

  /** An upstream inventing tool names cannot grow the pending list (and the file) past this. */
  static final int MAX_PENDING = 256;
  /** Nor the pins of a first listing: past this many names, a tool is held back (and not recorded), not pinned. */
  static final int MAX_PINS = 4096;
  /** A held definition longer than this (canonical JSON) is recorded as a note of its size, not in full. */
  static final int MAX_RECORDED_CHARS = 64 * 1024;
  /** Nor past this for all pending definitions together: the file is rewritten whole at each write. */
  static final int MAX_RECORDED_TOTAL_CHARS = 1024 * 1024;

  private final Path file;
  private final Map<String, String> pins = new LinkedHashMap<>();
  private final Map<String, Change> pending = new LinkedHashMap<>();
  private boolean warnedFull;
  private boolean fixed;
  private long fileStamp = -1;
  /** Characters of the definitions recorded in {@link #pending}. */
  private int recordedChars;
  /** Pending changes not yet in the file. */
  private boolean unsaved;

  ToolPins(Path file) {
    this.file = file;
    reloadIfChanged();
  }

  /** The SHA-256 of the canonical JSON of {@code tool}, all of it. */
  static String hash(JsonNode tool) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(JsonRpc.canonical(tool).getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * Whether {@code tool} may be shown and called. The first listing without a file pins what it sees; after that, a
   * definition that is not pinned is recorded as pending (once per new hash) and refused.
   */
  synchronized Optional<Change> admit(String name, JsonNode tool) {
    String hash = hash(tool);
    String pinned = pins.get(name);
    if (hash.equals(pinned)) {
      return Optional.empty();
    }
    if (pinned == null && !fixed && pins.size() < MAX_PINS) {
      pins.put(name, hash);
      return Optional.empty();
    }
    Change change = new Change(name, pinned, hash, null);
    if (pinned == null && !fixed) {
      warnOnce("MCP tool '{}' and every tool past it held back and not recorded: the first listing has more than {}"
          + " tools", name, MAX_PINS);
      return Optional.of(change);
    }
    if (!pending.containsKey(name) && pending.size() >= MAX_PENDING) {
      warnOnce("MCP tool '{}' and every new change past it held back and not recorded: {} changes are pending"
          + " already", name, MAX_PENDING);
      return Optional.of(change);
    }
    Change before = pending.get(name);
    if (before == null || !before.newHash().equals(hash)) {
      LOG.warn("MCP tool '{}' held back: {} ({} -> {}); approve it to use it", GatewaySession.shown(name),
          change.kind(), pinned, hash);
      int left = MAX_RECORDED_TOTAL_CHARS - recordedChars + (before == null ? 0 : chars(before.definition()));
      change = new Change(name, pinned, hash, recorded(name, tool, left));
      recordedChars += chars(change.definition()) - (before == null ? 0 : chars(before.definition()));
      pending.put(name, change);
      unsaved = true; // written by saveIfChanged, at a bounded rate: not once per tool of every listing
    }
    return Optional.of(pending.get(name));
  }

  /** Writes the pending changes to the file if any came since the last write; whether it wrote. */
  synchronized boolean saveIfChanged() {
    if (!unsaved) {
      return false;
    }
    save();
    return true;
  }

  private static int chars(ObjectNode definition) {
    return JsonRpc.canonical(definition).length();
  }

  /**
   * What is kept of a held definition for the person who approves it: the definition, or past
   * {@link #MAX_RECORDED_CHARS} a note of its size (its hash is what is approved): 256 pending definitions of 4 MiB
   * each were a gigabyte in memory, rewritten to the file for every new change.
   */
  private static ObjectNode recorded(String name, JsonNode tool, int left) {
    String canonical = JsonRpc.canonical(tool);
    if (canonical.length() <= Math.min(MAX_RECORDED_CHARS, left)) {
      return ((ObjectNode) tool).deepCopy();
    }
    ObjectNode stub = JsonNodeFactory.instance.objectNode().put("name", name.length() <= 200 ? name
        : name.substring(0, 200) + "...");
    stub.put("omitted", "the definition has " + canonical.length() + " characters, more than are recorded ("
        + MAX_RECORDED_CHARS + " per tool, " + MAX_RECORDED_TOTAL_CHARS + " for all pending); read it from the"
        + " upstream's tools/list before approving");
    return stub;
  }

  /** An upstream listing names past a bound in a loop: the log says so once, not once per name and listing. */
  private void warnOnce(String message, String name, int bound) {
    if (!warnedFull) {
      warnedFull = true;
      LOG.warn(message, GatewaySession.shown(name), bound);
    }
  }

  /** The first complete listing has been seen: from now on an unpinned definition is a change. */
  synchronized void fix() {
    if (!fixed) {
      fixed = true;
      save();
    }
  }

  synchronized List<Change> pending() {
    return List.copyOf(pending.values());
  }

  /** Accepts the pending definition of {@code tool}; false when nothing of that name is pending. */
  synchronized boolean approve(String tool) {
    Change change = pending.remove(tool);
    if (change == null) {
      return false;
    }
    recordedChars -= chars(change.definition());
    pins.put(tool, change.newHash());
    LOG.info("MCP tool '{}' approved at {}", GatewaySession.shown(tool), change.newHash());
    save();
    return true;
  }

  /** Re-reads the file if a person changed it (the approve command); a bad file is an error naming it. */
  synchronized void reloadIfChanged() {
    if (file == null || !Files.exists(file)) {
      return;
    }
    try {
      long stamp = Files.getLastModifiedTime(file).toMillis() ^ Files.size(file);
      if (stamp == fileStamp) {
        return;
      }
      JsonNode root = FILE_JSON.readTree(file.toFile());
      if (root == null || !root.path("tools").isObject()) {
        throw new IllegalArgumentException("the pins file " + file + " has no \"tools\" object: delete it to pin"
            + " the tools of the next session, or restore it");
      }
      pins.clear();
      root.path("tools").fields().forEachRemaining(e -> pins.put(e.getKey(), e.getValue().path("sha256").asText()));
      pending.clear();
      root.path("pending").fields().forEachRemaining(e -> {
        JsonNode pinned = e.getValue().path("pinned");
        if (e.getValue().path("definition").isObject()) {
          pending.put(e.getKey(), new Change(e.getKey(), pinned.isTextual() ? pinned.asText() : null,
              e.getValue().path("sha256").asText(), (ObjectNode) e.getValue().path("definition")));
        }
      });
      recordedChars = pending.values().stream().mapToInt(change -> chars(change.definition())).sum();
      fixed = true;
      fileStamp = stamp;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the pins file " + file + ": " + e.getMessage(), e);
    }
  }

  private void save() {
    unsaved = false;
    if (file == null) {
      return;
    }
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode tools = root.putObject("tools");
    pins.forEach((tool, hash) -> tools.putObject(tool).put("sha256", hash));
    ObjectNode held = root.putObject("pending");
    for (Change change : pending.values()) {
      ObjectNode entry = held.putObject(change.tool()).put("kind", change.kind()).put("sha256", change.newHash());
      entry.put("pinned", change.pinnedHash());
      entry.set("definition", change.definition());
    }
    try {
      Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".pins", ".tmp");
      FILE_JSON.writeValue(tmp.toFile(), root);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      fileStamp = Files.getLastModifiedTime(file).toMillis() ^ Files.size(file);
    } catch (IOException e) {
      LOG.error("Cannot write the MCP tool pins file {}: {}", file, e.toString());
    }
  }

  /**
   * The approve command: moves {@code tool}'s pending definition in {@code file} to the pinned tools. Returns what it
   * did, for the person who ran it.
   */
  static String approveInFile(Path file, String tool) {
    if (!Files.exists(file)) {
      throw new IllegalArgumentException("no pins file at " + file + " (the gateway's pins.file)");
    }
    ToolPins pins = new ToolPins(file);
    Change change = pins.pending.get(tool);
    if (change == null || !pins.approve(tool)) {
      throw new IllegalArgumentException("no pending change of tool '" + tool + "' in " + file + "; pending: "
          + pins.pending.keySet());
    }
    return "approved " + tool + " (" + change.kind() + ") at " + change.newHash() + "; its definition:\n"
        + change.definition().toPrettyString();
  }
}
