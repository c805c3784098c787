package dev.airlock.internal.mcp.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCMessage;
import io.modelcontextprotocol.spec.McpServerTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

@Timeout(60)
class SerialSendsTest {

  /** Counts the sends it is inside of, as the SDK's sink does, and dwells there so that overlaps show. */
  static class CountingTransport implements McpServerTransport {
    final AtomicInteger inside = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();
    final AtomicInteger sent = new AtomicInteger();

    @Override
    public Mono<Void> sendMessage(JSONRPCMessage message) {
      return Mono.defer(() -> {
        mostAtOnce.accumulateAndGet(inside.incrementAndGet(), Math::max);
        long until = System.nanoTime() + 20_000;
        while (System.nanoTime() < until) {
          Thread.onSpinWait();
        }
        inside.decrementAndGet();
        sent.incrementAndGet();
        return Mono.empty();
      });
    }

    @Override
    public <T> T unmarshalFrom(Object data, TypeRef<T> type) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Mono<Void> closeGracefully() {
      return Mono.empty();
    }
  }

  @Test
  void answersFromManyThreadsReachTheSessionsTransportOneAtATime() throws Exception {
    CountingTransport sdk = new CountingTransport();
    McpServerTransport transport = new SerialSends.Transport(sdk);

    sendFromManyThreads(transport);

    assertThat(sdk.sent).hasValue(8 * 200);
    assertThat(sdk.mostAtOnce).as("sends inside the SDK's transport at once").hasValue(1);
  }

  @Test
  void withoutItTheSameSendsOverlap() throws Exception {
    // What the test above guards against is there to see: the same load on the bare transport overlaps.
    CountingTransport sdk = new CountingTransport();

    sendFromManyThreads(sdk);

    assertThat(sdk.mostAtOnce.get()).isGreaterThan(1);
  }

  @Test
  void aSendThatFailsFailsItsCaller() {
    McpServerTransport failing = new CountingTransport() {
      @Override
      public Mono<Void> sendMessage(JSONRPCMessage message) {
        return Mono.error(new RuntimeException("Failed to enqueue message"));
      }
    };
    Mono<Void> send = new SerialSends.Transport(failing).sendMessage(notification());

    assertThatThrownBy(send::block).hasMessage("Failed to enqueue message");
  }

  private static void sendFromManyThreads(McpServerTransport transport) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> senders = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        senders.add(threads.submit(() -> {
          go.await();
          for (int i = 0; i < 200; i++) {
            transport.sendMessage(notification()).block();
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> sender : senders) {
        sender.get(30, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
  }

  private static JSONRPCMessage notification() {
    return new McpSchema.JSONRPCNotification(McpSchema.JSONRPC_VERSION, "notifications/progress", null);
  }
}
