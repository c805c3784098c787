package dev.airlock.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.SandboxProtocolException;
import dev.airlock.canary.Decoys;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Codecs are lent, not kept per thread: a thread's first call takes one another thread built, and gets it in the
 * state its codec leaves it, with nothing of the previous call's allowlist.
 */
class KryoPoolTest {
  @Test
  void aThreadTakesTheInstanceAnotherThreadHandedBack() throws Exception {
    AtomicInteger made = new AtomicInteger();
    KryoPool<Object> pool = new KryoPool<>(() -> new Object[] {made.incrementAndGet()});
    Object first = pool.borrow();
    pool.giveBack(first);
    Object onAnotherThread = CompletableFuture.supplyAsync(pool::borrow).get();
    assertThat(onAnotherThread).isSameAs(first);
    assertThat(made).hasValue(1);
  }

  @Test
  void twoBorrowersAtOnceGetTwoInstancesAndTheIdleAreBounded() {
    KryoPool<Object> pool = new KryoPool<>(Object::new);
    List<Object> lent = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      lent.add(pool.borrow());
    }
    assertThat(lent).doesNotHaveDuplicates();
    lent.forEach(pool::giveBack);
    List<Object> again = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      again.add(pool.borrow());
    }
    assertThat(again.stream().filter(lent::contains)).as("kept idle").hasSize(16);
  }

  /** A decoder that admitted a class for one call refuses it for the next, on another thread. */
  @Test
  void aLentDecoderKeepsNothingOfThePreviousCallsAllowlist() throws Exception {
    byte[] decoys = Codec.encodeResult(new Decoys(), 1 << 20);
    assertThat(Codec.decodeResult(decoys, ClassAllowlist.of(List.of(Decoys.class.getName()))))
        .isInstanceOf(Decoys.class);
    Throwable refused = CompletableFuture.supplyAsync(() -> {
      try {
        Codec.decodeResult(decoys, ClassAllowlist.of(List.of()));
        return null;
      } catch (SandboxProtocolException e) {
        return e;
      }
    }).get();
    assertThat(refused).isInstanceOf(SandboxProtocolException.class).hasMessageContaining(Decoys.class.getName());
  }
}
