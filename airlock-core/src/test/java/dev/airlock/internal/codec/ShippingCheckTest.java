package dev.airlock.internal.codec;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.UnshippableInvocationException;
import dev.airlock.annotation.ShipFields;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShippingCheckTest {

  static final class Repository {
    final Socket connection = new Socket();
  }

  @ShipFields
  static final class Tool {
    final String name = "tool";
    final Repository repository = new Repository();
    transient Thread ignored = new Thread(() -> { });
  }

  @Test
  void namesThePathToANestedResource() {
    assertThatThrownBy(() -> ShippingCheck.check(new Tool(), new Object[0]))
        .isInstanceOf(UnshippableInvocationException.class)
        .hasMessageContaining("receiver.repository.connection")
        .hasMessageContaining("java.net.Socket")
        .hasMessageContaining("transient");
  }

  @Test
  void looksInsideArgumentsCollectionsAndMaps() {
    assertThatThrownBy(() -> ShippingCheck.check(null, new Object[] {"ok", List.of("a", new ByteArrayOutputStream())}))
        .hasMessageContaining("args[1][1]").hasMessageContaining("java.io.OutputStream");
    assertThatThrownBy(() -> ShippingCheck.check(null, new Object[] {Map.of("k", Thread.currentThread())}))
        .hasMessageContaining("args[0][k]");
  }

  @Test
  void skipsTransientFieldsAndPlainData() {
    assertThatCode(() -> ShippingCheck.check(new Object(), new Object[] {1, "x", List.of(Map.of("a", 1))}))
        .doesNotThrowAnyException();
  }
}
