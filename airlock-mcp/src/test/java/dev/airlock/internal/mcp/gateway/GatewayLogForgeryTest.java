package dev.airlock.internal.mcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack review 9: a hostile upstream MCP server names a new tool, and sends a server-to-client request whose method
 * is, CR LF, a forged host log line, an ANSI escape that conceals what follows and a bidi override. The gateway quoted
 * both raw in its warnings ("MCP tool '...' held back", "Refused upstream request ..."): a forged line in the host's
 * log, and every line after it hidden on a terminal. Attack review 37: the same upstream writes such a line as a bad
 * JSON token, which the parser's message quoted in the gateway's warning, and on its stderr, which the gateway logs at
 * debug (the tests' logging turns that on).
 */
@Timeout(60)
class GatewayLogForgeryTest {
  @TempDir
  Path dir;

  @Test
  void upstreamNamesAndMethodsReachTheHostLogEscaped() throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.err;
    System.setErr(new PrintStream(new Tee(original, captured), true, StandardCharsets.UTF_8));
    try {
      GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir), pid -> new UpstreamAddress(
          withProperty(GatewayHarness.upstreamCommand(pid), "-Dairlock.test.forgedNames=true"), null));
      try (gateway) {
        gateway.open();
        gateway.request("tools/list", null);
        Thread.sleep(500);
      }
    } finally {
      System.setErr(original);
    }
    String log = captured.toString(StandardCharsets.UTF_8);

    assertThat(log).contains("held back").contains("Refused upstream request")
        .contains("Dropped a malformed message").contains("upstream stderr: ");
    assertThat(log.lines()).noneMatch(line -> line.startsWith("2026-12-03 12:00:00 WARN"));
    assertThat(log).doesNotContain("\u001b").doesNotContain("\u202e").doesNotContain("\r");
  }

  private static List<String> withProperty(List<String> command, String property) {
    List<String> out = new ArrayList<>(command);
    out.add(1, property);
    return out;
  }

  /** Writes to both streams. */
  private static final class Tee extends OutputStream {
    private final OutputStream first;
    private final OutputStream second;

    Tee(OutputStream first, OutputStream second) {
      this.first = first;
      this.second = second;
    }

    @Override
    public synchronized void write(int b) throws java.io.IOException {
      first.write(b);
      second.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws java.io.IOException {
      first.write(b, off, len);
      second.write(b, off, len);
    }
  }
}
