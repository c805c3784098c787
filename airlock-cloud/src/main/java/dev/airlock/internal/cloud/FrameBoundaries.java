package dev.airlock.internal.cloud;

import dev.airlock.internal.wire.FrameType;
import java.util.EnumSet;
import java.util.Set;

/**
 * Follows worker frames through a byte stream without holding them, so a relay can tell where an answer ends (a
 * call's RESULT or ERROR frame, a warm-up's WARMED) while passing the bytes on as they come. Lengths are the worker's
 * word, so nothing is allocated from them; the pool's own frame reader bounds what it accepts.
 */
final class FrameBoundaries {
  private final byte[] header = new byte[5];
  private int headerFilled;
  private long bodyLeft;
  private FrameType lastType;
  private final Set<FrameType> seen = EnumSet.noneOf(FrameType.class);

  /** Feeds bytes that were relayed, in order. */
  void advance(byte[] bytes, int offset, int length) {
    int i = offset;
    int end = offset + length;
    while (i < end) {
      if (bodyLeft > 0) {
        int step = (int) Math.min(bodyLeft, end - i);
        bodyLeft -= step;
        i += step;
        continue;
      }
      header[headerFilled++] = bytes[i++];
      if (headerFilled == header.length) {
        long frameLength = ((header[0] & 0xFFL) << 24) | ((header[1] & 0xFF) << 16) | ((header[2] & 0xFF) << 8)
            | (header[3] & 0xFF);
        lastType = FrameType.of(header[4]);
        if (lastType != null) {
          seen.add(lastType);
        }
        bodyLeft = Math.max(0, frameLength - 1);
        headerFilled = 0;
      }
    }
  }

  /** True between frames, after a frame that ends an answer: a call's RESULT or ERROR, or a warm-up's WARMED. */
  boolean answered() {
    return headerFilled == 0 && bodyLeft == 0
        && (lastType == FrameType.RESULT || lastType == FrameType.ERROR || lastType == FrameType.WARMED);
  }

  /** True when the bytes seen so far end exactly at a frame boundary and contain at least one frame. */
  boolean atFrameBoundary() {
    return headerFilled == 0 && bodyLeft == 0 && lastType != null;
  }

  boolean saw(FrameType type) {
    return seen.contains(type);
  }
}
