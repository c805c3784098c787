package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.SandboxProtocolException;
import dev.airlock.internal.codec.ClassAllowlist;
import dev.airlock.internal.codec.Codec;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URL;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Attack review 14: a value of a final type travels without its class name when the declared type of the field,
 * record component or type argument holding it says the class, so it never met the allowlist or the denylist, which
 * judge names. {@code java.net.URL} is denied by name because its {@code hashCode} resolves the host through DNS;
 * in a component of that declared type a worker's URL was built on the host, and a set of such records hashed each
 * of them while being decoded: a DNS lookup of a name the worker chose, on the calling thread, once per element.
 * Every class a result's reader meets is judged now, named on the wire or implied by a declared type.
 */
class FinalFieldTypeTest {

  /** A type an application may return: its component's declared type is final, so its values carry no class name. */
  public record Link(String title, URL url) {
  }

  public record Links(Set<Link> links) {
  }

  /** Values of final JDK types the allowlist admits, in declared components, as before. */
  public record Admitted(UUID id, URI uri, List<UUID> ids) {
  }

  public static Links links() {
    return null;
  }

  public static Admitted admitted() {
    return null;
  }

  @Test
  void aDeniedFinalTypeInADeclaredComponentIsRefused() throws Exception {
    Set<Link> links = new HashSet<>();
    links.add(new Link("a", new URL("http://worker-chosen-name.invalid/")));
    byte[] bytes = Codec.encodeResult(new Links(links), 1 << 20);

    Throwable thrown = catchThrowable(() -> Codec.decodeResult(bytes, allowlistOf("links")));

    assertThat(thrown).isInstanceOf(SandboxProtocolException.class).hasMessageContaining("java.net.URL");
  }

  @Test
  void admittedFinalTypesInDeclaredComponentsStillDecode() throws Exception {
    Admitted value = new Admitted(UUID.randomUUID(), URI.create("https://example.org/x"), List.of(UUID.randomUUID()));

    Object decoded = Codec.decodeResult(Codec.encodeResult(value, 1 << 20), allowlistOf("admitted"));

    assertThat(decoded).isEqualTo(value);
  }

  /** The allowlist a call of {@code method} gets: what its declared return type reaches. */
  private static ClassAllowlist allowlistOf(String method) throws NoSuchMethodException {
    Method m = FinalFieldTypeTest.class.getMethod(method);
    return ClassAllowlist.forCall(null, m, List.of());
  }
}
