package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Whether the engine answers decides whether a failed start is the engine's fault (the backend is unavailable, and a
 * call that does not require a sandbox runs on the host) or the worker's (the call fails). So the answer must not
 * depend on how busy the backend's own connections are: guests can slow the work that holds them.
 */
@Timeout(60)
class DockerEngineProbeTest {
  @BeforeAll
  static void requireEngine() {
    DockerTestEngine.require();
  }

  @Test
  void theProbeAnswersWhileEveryConnectionOfTheBackendsCallsIsTaken() throws Exception {
    DockerEngine engine = DockerEngine.connect();
    // Never started: an attach to it waits, holding its connection, as long as the container is there.
    String idle = DockerTestEngine.require().client().createContainerCmd(DockerTestEngine.IMAGE)
        .withLabels(Map.of("airlock.test", DockerEngineProbeTest.class.getSimpleName())).withCmd("java", "-version")
        .exec().getId();
    List<ResultCallback.Adapter<Frame>> attaches = new ArrayList<>();
    try {
      for (int i = 0; i < 16; i++) {
        attaches.add(engine.client().attachContainerCmd(idle).withStdOut(true).withFollowStream(true)
            .exec(new ResultCallback.Adapter<>()));
      }
      // The attaches are asynchronous: until each has started it holds no connection, and the ping below could take
      // one still free.
      for (ResultCallback.Adapter<Frame> attach : attaches) {
        assertThat(attach.awaitStarted(10, TimeUnit.SECONDS)).as("an attach to the idle container started").isTrue();
      }
      CompletableFuture<Void> pingOnTheBackendsClient = CompletableFuture.runAsync(() -> engine.client().pingCmd()
          .exec());
      assertThatThrownBy(() -> pingOnTheBackendsClient.get(3, TimeUnit.SECONDS))
          .as("a ping on the backend's own client waits for one of its connections")
          .isInstanceOf(TimeoutException.class);

      long start = System.nanoTime();
      engine.probe();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    } finally {
      for (ResultCallback.Adapter<Frame> attach : attaches) {
        attach.close();
      }
      engine.close();
      DockerTestEngine.removeIfPresent(idle);
    }
  }
}
