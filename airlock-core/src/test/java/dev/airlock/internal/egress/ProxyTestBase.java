package dev.airlock.internal.egress;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A proxy under test with what stands around it in a sandbox: its gate's Unix socket and a TCP-to-Unix forwarder in
 * front of it, plus the kit's servers, all closed after each test.
 */
abstract class ProxyTestBase {
  static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  @TempDir
  Path folder;

  EgressTestKit kit;
  EgressProxy proxy;
  EgressGate gate;
  EgressTestKit.Forwarder forwarder;

  @BeforeEach
  void makeKit() throws Exception {
    kit = new EgressTestKit();
  }

  @AfterEach
  void closeProxyAndKit() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    kit.close();
  }

  void start(EgressProxy.Builder builder) throws IOException {
    proxy = builder.build();
    gate = proxy.openGate(folder.resolve("egress.sock"));
    forwarder = kit.forwarder(folder.resolve("egress.sock"));
  }

  /** An HTTP message head as the test's server reads it, up to and with its blank line (or the stream's end). */
  static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    return head.toString();
  }

  static EgressRules rules(String... entries) {
    return EgressRules.parse(List.of(entries), EgressRules.DEFAULT_MAX_BYTES_PER_CALL, Duration.ofSeconds(10));
  }
}
