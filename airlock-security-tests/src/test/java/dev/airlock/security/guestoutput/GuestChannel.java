package dev.airlock.security.guestoutput;

import dev.airlock.internal.wire.FailureKind;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import dev.airlock.internal.wire.RemoteFailure;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Guest code speaking the wire protocol itself, from inside a tool's body: the worker's channel to the host is the
 * process's descriptor 4, which any code in the worker JVM can open, and the id of the running call is in the
 * worker's own objects, which guest code can read (the worker's watchdog parks on itself, so
 * {@link LockSupport#getBlocker} hands it out). Whatever a "lying worker" sends, guest code can send.
 */
final class GuestChannel {
  private GuestChannel() {
  }

  /** The id of the call this code runs in, as the host sent it. */
  static long runningCallId() throws ReflectiveOperationException, InterruptedException {
    Thread watchdog = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("airlock-call-watchdog")).findFirst()
        .orElseThrow(() -> new IllegalStateException("no worker watchdog: not running in a worker"));
    for (int attempt = 0; attempt < 1000; attempt++) {
      Object blocker = LockSupport.getBlocker(watchdog);
      if (blocker != null) {
        Field running = blocker.getClass().getDeclaredField("running");
        running.setAccessible(true);
        long id = ((AtomicLong) running.get(blocker)).get();
        if (id != 0) {
          return id;
        }
      }
      Thread.sleep(1);
    }
    throw new IllegalStateException("the watchdog never showed the running call");
  }

  /** Writes one frame straight to the host, past everything the worker would check. */
  static void send(FrameType type, byte[] body) throws IOException {
    OutputStream channel = new FileOutputStream("/dev/fd/4");
    new FrameWriter(channel).write(type, body);
    channel.flush();
  }

  /** Answers the running call with a result of the guest's making, {@code kryo}'s bytes, and dies at once. */
  static void answerWithResultAndHalt(byte[] kryo) throws Exception {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(Messages.resultHeader(runningCallId(), 0));
    body.write(kryo);
    send(FrameType.RESULT, body.toByteArray());
    Runtime.getRuntime().halt(0);
  }

  /** Answers the running call with an exception record of the guest's making. */
  static void answerWithFailure(RemoteFailure failure) throws Exception {
    send(FrameType.ERROR, Messages.error(new Messages.Error(runningCallId(), FailureKind.USER_EXCEPTION, failure)));
  }
}
