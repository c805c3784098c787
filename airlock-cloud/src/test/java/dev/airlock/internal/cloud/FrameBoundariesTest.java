package dev.airlock.internal.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

class FrameBoundariesTest {

  private static byte[] frames(FrameType... types) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    FrameWriter writer = new FrameWriter(out);
    for (FrameType type : types) {
      writer.write(type, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
    }
    return out.toByteArray();
  }

  @Test
  void seesTheCallAnsweredOnlyAfterTheLastByteOfItsResultFedOneByteAtATime() throws Exception {
    byte[] bytes = frames(FrameType.LOG, FrameType.LOG, FrameType.RESULT);
    FrameBoundaries boundaries = new FrameBoundaries();
    for (int i = 0; i < bytes.length; i++) {
      assertThat(boundaries.answered()).as("after %d bytes", i).isFalse();
      boundaries.advance(bytes, i, 1);
    }
    assertThat(boundaries.answered()).isTrue();
    assertThat(boundaries.saw(FrameType.LOG)).isTrue();
    assertThat(boundaries.saw(FrameType.INVOKE)).isFalse();
  }

  @Test
  void logFramesAloneDoNotAnswerACallAndAnErrorDoes() throws Exception {
    FrameBoundaries logs = new FrameBoundaries();
    byte[] onlyLogs = frames(FrameType.LOG);
    logs.advance(onlyLogs, 0, onlyLogs.length);
    assertThat(logs.answered()).isFalse();
    assertThat(logs.atFrameBoundary()).isTrue();

    FrameBoundaries error = new FrameBoundaries();
    byte[] failed = frames(FrameType.LOG, FrameType.ERROR);
    error.advance(failed, 0, failed.length - 1);
    assertThat(error.answered()).isFalse();
    error.advance(failed, failed.length - 1, 1);
    assertThat(error.answered()).isTrue();
  }

  @Test
  void aWarmUpIsAnsweredByItsWarmedFrame() throws Exception {
    byte[] bytes = frames(FrameType.WARMED);
    FrameBoundaries warmUp = new FrameBoundaries();
    warmUp.advance(bytes, 0, bytes.length - 1);
    assertThat(warmUp.answered()).as("before its last byte").isFalse();
    warmUp.advance(bytes, bytes.length - 1, 1);
    assertThat(warmUp.answered()).isTrue();
  }
}
