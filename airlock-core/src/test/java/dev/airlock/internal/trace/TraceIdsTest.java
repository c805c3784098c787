package dev.airlock.internal.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.SandboxProtocolException;
import dev.airlock.internal.wire.Messages;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The traceparent in INVOKE: bounded on the wire, parsed strictly, carried intact. */
class TraceIdsTest {
  private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  @Test
  void onlyAValidVersion00TraceparentHasIds() {
    assertThat(TraceIds.of(TRACEPARENT)).isEqualTo(
        new TraceIds("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", true));
    assertThat(TraceIds.of(TRACEPARENT.replace("-01", "-00")).sampled()).isFalse();
    for (String bad : new String[] {"", "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-"
        + "0000000000000000-01", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", TRACEPARENT + "-x",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0\n", null}) {
      assertThat(TraceIds.of(bad).present()).as(String.valueOf(bad)).isFalse();
    }
  }

  @Test
  void theInvokeFrameCarriesItAndRefusesALongerOne() throws IOException {
    byte[] payload = {1, 2, 3};
    Messages.Invoke read = Messages.invoke(Messages.invoke(new Messages.Invoke(9, 1000, 64, TRACEPARENT, payload)));
    assertThat(read.traceparent()).isEqualTo(TRACEPARENT);
    assertThat(read.payload()).containsExactly(1, 2, 3);
    assertThat(Messages.invoke(Messages.invoke(new Messages.Invoke(9, 1000, 64, payload))).traceparent()).isEmpty();
    assertThatThrownBy(() -> new Messages.Invoke(9, 1000, 64, TRACEPARENT + "0", payload))
        .isInstanceOf(IllegalArgumentException.class);

    ByteArrayOutputStream forged = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(forged);
    out.writeLong(9);
    out.writeLong(1000);
    out.writeInt(64);
    out.writeByte(255);
    out.write(new byte[255]);
    assertThatThrownBy(() -> Messages.invoke(forged.toByteArray())).isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("traceparent of 255 bytes, at most 55");
    byte[] cut = new byte[21 + 10];
    cut[20] = 55;
    assertThatThrownBy(() -> Messages.invoke(cut)).isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("cut short");
  }
}
