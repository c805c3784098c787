package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.minlog.Log;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends Kryo's own log (minlog, which prints to stdout by default) to SLF4J instead. */
final class KryoLogging {
  private static final Logger LOG = LoggerFactory.getLogger("dev.airlock.internal.codec.kryo");

  private KryoLogging() {
  }

  static void install() {
    Log.setLogger(new Log.Logger() {
      @Override
      public void log(int level, String category, String message, Throwable ex) {
        // Kryo warns about JDK internals it cannot open and then works around them: detail, not news.
        if (level >= Log.LEVEL_ERROR) {
          LOG.warn("kryo {}: {}", category, message, ex);
        } else {
          LOG.debug("kryo {}: {}", category, message, ex);
        }
      }
    });
    Log.set(Log.LEVEL_WARN);
  }
}
