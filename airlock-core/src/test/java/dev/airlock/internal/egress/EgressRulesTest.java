package dev.airlock.internal.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class EgressRulesTest {

  @Test
  void entriesParseAndPrintBack() {
    for (String entry : List.of("api.github.com", "*.wikipedia.org", "example.com:8443", "10.0.0.0/8",
        "192.0.2.7:8080", "169.254.169.254")) {
      assertThat(EgressRule.parse(entry)).hasToString(entry);
    }
    assertThat(EgressRule.parse("[::1]:8443")).hasToString("[0:0:0:0:0:0:0:1]:8443");
    assertThat(EgressRule.parse("[fd00::/8]")).hasToString("[fd00:0:0:0:0:0:0:0/8]")
        .isEqualTo(EgressRule.parse("[fd00:0:0:0:0:0:0:0/8]"));
    assertThat(EgressRule.parse(" API.GitHub.com. ")).hasToString("api.github.com");
  }

  @Test
  void badEntriesNameThemselvesAndTheSyntax() {
    for (String entry : List.of("", "*.com", "*", "http://example.com", "exa mple.com", "exämple.com", "x.com:0",
        "x.com:70000", "x.com:", "10.0.0.0/0", "10.0.0.0/33", "[::1", "::1:8443x", "a..b", "-a.com")) {
      assertThatThrownBy(() -> EgressRules.parse(List.of("ok.com", entry), 1, Duration.ofSeconds(1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + entry + "'")
          .hasMessageContaining("*.wikipedia.org");
    }
  }

  @Test
  void wildcardMatchesSubdomainsOnlyAndPortsDefaultToWebPorts() {
    EgressRule wildcard = EgressRule.parse("*.api.test");
    assertThat(wildcard.allowsName("x.api.test", 443)).isTrue();
    assertThat(wildcard.allowsName("a.b.api.test", 80)).isTrue();
    assertThat(wildcard.allowsName("api.test", 443)).isFalse();
    assertThat(wildcard.allowsName("evilapi.test", 443)).isFalse();
    assertThat(wildcard.allowsName("x.api.test", 8080)).isFalse();
    EgressRule port = EgressRule.parse("api.test:8443");
    assertThat(port.allowsName("api.test", 8443)).isTrue();
    assertThat(port.allowsName("api.test", 443)).isFalse();
  }

  @Test
  void addressRulesMatchTheirNetworkAndTheMappedForm() throws Exception {
    EgressRule network = EgressRule.parse("10.0.0.0/8");
    assertThat(network.allowsAddress(InetAddress.getByName("10.200.1.2"), 443)).isTrue();
    assertThat(network.allowsAddress(InetAddress.getByName("11.0.0.1"), 443)).isFalse();
    assertThat(network.allowsName("10.0.0.1", 443)).isFalse();
    byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 10, 1, 2, 3};
    assertThat(network.allowsAddress(Inet6Address.getByAddress(null, mapped, -1), 80)).isTrue();
  }

  @Test
  void nonPublicAddressesAreRecognizedInEveryForm() throws Exception {
    for (String address : List.of("0.0.0.0", "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255",
        "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.255", "224.0.0.1", "255.255.255.255",
        "198.18.0.1", "192.0.0.170", "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a00:1::1", "::127.0.0.1")) {
      assertThat(Addresses.isPublic(InetAddress.getByName(address))).as(address).isFalse();
    }
    byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 169, (byte) 254, (byte) 169,
        (byte) 254};
    assertThat(Addresses.isPublic(Inet6Address.getByAddress(null, mapped, -1))).isFalse();
    for (String address : List.of("8.8.8.8", "1.1.1.1", "100.128.0.1", "172.32.0.1", "2606:4700::1111")) {
      assertThat(Addresses.isPublic(InetAddress.getByName(address))).as(address).isTrue();
    }
  }

  @Test
  void ipv6OutsideGlobalUnicastIsNotPublicWhateverItEmbeds() throws Exception {
    // Local-use NAT64 (RFC 8215) and SIIT's IPv4-translated form reach the IPv4 address they carry through a
    // translator on the host's network, as the well-known NAT64 prefix does; discard and unassigned space never
    // routes to the internet. Only 2000::/3 is global unicast.
    for (String address : List.of("64:ff9b:1::a9fe:a9fe", "64:ff9b:1:ffff::7f00:1", "::ffff:0:a9fe:a9fe",
        "::ffff:0:7f00:1", "100::1", "4000::1", "e000::1", "::1:0:0:1")) {
      assertThat(Addresses.isPublic(InetAddress.getByName(address))).as(address).isFalse();
    }
    assertThat(Addresses.isPublic(InetAddress.getByName("64:ff9b::808:808"))).as("NAT64 of 8.8.8.8").isTrue();
    assertThat(Addresses.isPublic(InetAddress.getByName("2a00:1450:4001::200e"))).isTrue();
  }
}
