package dev.airlock.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.PayloadTooLargeException;
import dev.airlock.SandboxProtocolException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameReaderTest {

  @Test
  void readsWhatTheWriterWrote() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    FrameWriter writer = new FrameWriter(bytes);
    writer.write(FrameType.LOG, Messages.log(new Messages.Log(true, "line")));
    writer.write(FrameType.ERROR, Messages.error(new Messages.Error(7, FailureKind.USER_EXCEPTION,
        RemoteFailure.of(new IllegalStateException("bad", new RuntimeException("root"))))));
    FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes.toByteArray()), 1 << 20);
    Messages.Log log = Messages.log(reader.read().body());
    assertThat(log.stderr()).isTrue();
    assertThat(log.text()).isEqualTo("line");
    Messages.Error error = Messages.error(reader.read().body());
    assertThat(error.callId()).isEqualTo(7);
    assertThat(error.failure().className()).isEqualTo(IllegalStateException.class.getName());
    assertThat(error.failure().cause().message()).isEqualTo("root");
    assertThatThrownBy(reader::read).isInstanceOf(EOFException.class);
  }

  @Test
  void refusesAHugeLengthPrefixWithoutReadingIt() {
    CountingStream in = new CountingStream(ByteBuffer.allocate(5).putInt(Integer.MAX_VALUE).put((byte) 3).array());
    assertThatThrownBy(() -> new FrameReader(in, 1024).read())
        .isInstanceOf(PayloadTooLargeException.class)
        .hasMessageContaining("airlock.max-result-bytes");
    assertThat(in.read).isEqualTo(4);
  }

  @Test
  void refusesFramesCutShortUnknownOrEmpty() {
    for (byte[] bad : List.of(
        ByteBuffer.allocate(7).putInt(100).put((byte) 3).put((byte) 1).put((byte) 2).array(),
        ByteBuffer.allocate(5).putInt(1).put((byte) 99).array(),
        ByteBuffer.allocate(4).putInt(0).array(),
        ByteBuffer.allocate(4).putInt(-5).array())) {
      assertThatThrownBy(() -> new FrameReader(new ByteArrayInputStream(bad), 1024).read())
          .isInstanceOf(SandboxProtocolException.class);
    }
  }

  @Test
  void refusesMalformedBodies() {
    assertThatThrownBy(() -> Messages.error(new byte[] {1, 2, 3})).isInstanceOf(SandboxProtocolException.class);
    assertThatThrownBy(() -> Messages.hello(new byte[] {0})).isInstanceOf(SandboxProtocolException.class);
    assertThatThrownBy(() -> Messages.result(new byte[] {0, 0})).isInstanceOf(SandboxProtocolException.class);
  }

  @Test
  void preparedClassNamesRoundTripAndALyingCountIsRefused() {
    List<String> names = List.of("com.example.Tool", "com.example.Row$Cell");
    assertThat(Messages.prepare(Messages.prepare(names))).isEqualTo(names);
    byte[] tooMany = ByteBuffer.allocate(2).putShort((short) (Messages.MAX_PREPARED_CLASSES + 1)).array();
    assertThatThrownBy(() -> Messages.prepare(tooMany)).isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("PREPARE");
    byte[] cutShort = ByteBuffer.allocate(4).putShort((short) 1).putShort((short) 50).array();
    assertThatThrownBy(() -> Messages.prepare(cutShort)).isInstanceOf(SandboxProtocolException.class);
  }

  private static final class CountingStream extends InputStream {
    private final byte[] data;
    int read;

    CountingStream(byte[] data) {
      this.data = data;
    }

    @Override
    public int read() {
      return read < data.length ? data[read++] & 0xff : -1;
    }
  }
}
