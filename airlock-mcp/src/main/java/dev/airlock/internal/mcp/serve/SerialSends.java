package dev.airlock.internal.mcp.serve;

import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCMessage;
import io.modelcontextprotocol.spec.McpServerSession;
import io.modelcontextprotocol.spec.McpServerTransport;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import reactor.core.publisher.Mono;

/**
 * A transport provider whose sessions send one message at a time. The SDK's stdio transport queues each answer in a
 * sink that takes one sender at a time: a sender that finds it busy retries for 100 ms, then the answer is dropped
 * ("Failed to enqueue message") and its caller waits for it forever. Tool calls answer from threads of their own, so
 * 32 answers at once on a loaded machine lost some. Here each send enqueues under a lock, which it holds only for
 * the enqueueing, so no send finds the sink busy.
 */
final class SerialSends implements McpServerTransportProvider {
  private final McpServerTransportProvider provider;

  SerialSends(McpServerTransportProvider provider) {
    this.provider = provider;
  }

  @Override
  public void setSessionFactory(McpServerSession.Factory sessions) {
    provider.setSessionFactory(transport -> sessions.create(new Transport(transport)));
  }

  @Override
  public Mono<Void> notifyClients(String method, Object params) {
    return provider.notifyClients(method, params);
  }

  @Override
  public Mono<Void> notifyClient(String sessionId, String method, Object params) {
    return provider.notifyClient(sessionId, method, params);
  }

  @Override
  public void close() {
    provider.close();
  }

  @Override
  public Mono<Void> closeGracefully() {
    return provider.closeGracefully();
  }

  @Override
  public List<String> protocolVersions() {
    return provider.protocolVersions();
  }

  /** One session's transport; its sends are serialized, the rest is the SDK's. */
  static final class Transport implements McpServerTransport {
    private final McpServerTransport transport;
    private final Object sending = new Object();

    Transport(McpServerTransport transport) {
      this.transport = transport;
    }

    @Override
    public Mono<Void> sendMessage(JSONRPCMessage message) {
      return Mono.defer(() -> {
        CompletableFuture<Void> sent;
        // The SDK enqueues as the send is subscribed to: subscribing under the lock is what serializes them.
        synchronized (sending) {
          sent = transport.sendMessage(message).toFuture();
        }
        return Mono.fromFuture(sent);
      });
    }

    @Override
    public <T> T unmarshalFrom(Object data, TypeRef<T> type) {
      return transport.unmarshalFrom(data, type);
    }

    @Override
    public Mono<Void> closeGracefully() {
      return transport.closeGracefully();
    }

    @Override
    public void close() {
      transport.close();
    }

    @Override
    public List<String> protocolVersions() {
      return transport.protocolVersions();
    }
  }
}
