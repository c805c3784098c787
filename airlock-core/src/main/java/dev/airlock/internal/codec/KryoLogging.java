package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.minlog.Log;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends Kryo's own log (minlog, which prints to stdout by default) to SLF4J instead; in a worker, its errors only.
 * Kryo warns in every JVM that it cannot open JDK internals, then works around them: detail, not news. Logged in a
 * worker, that loaded SLF4J and had it look up its provider in every jar of the classpath, about 7 ms of each
 * worker's 25 ms warm-up (WarmUpLoadsTest).
 */
final class KryoLogging {
  private KryoLogging() {
  }

  static void install() {
    // The worker's property rather than WorkerMain.serving(): the codec does not depend on the worker, and a host JVM
    // that carries the property only loses Kryo's debug lines.
    boolean worker = Boolean.getBoolean("airlock.worker");
    Log.setLogger(new Log.Logger() {
      @Override
      public void log(int level, String category, String message, Throwable ex) {
        if (level >= Log.LEVEL_ERROR) {
          Slf4j.LOG.warn("kryo {}: {}", category, message, ex);
        } else if (!worker) {
          Slf4j.LOG.debug("kryo {}: {}", category, message, ex);
        }
      }
    });
    Log.set(Log.LEVEL_WARN);
  }

  /** The logger, made on first use. */
  private static final class Slf4j {
    static final Logger LOG = LoggerFactory.getLogger("dev.airlock.internal.codec.kryo");
  }
}
