package dev.airlock.internal.egress;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * The pool's own certificate authority, made fresh in memory for each pool and never written anywhere: only the
 * worker JVMs of this pool trust it (through the trust store they are given), and it signs a leaf certificate only
 * for the hosts that have a secret injected, so the proxy can read and amend those requests and nothing else.
 */
final class PoolAuthority {
  private static final Duration VALIDITY = Duration.ofDays(398);

  private final HeldCertificate authority;
  private final Map<String, SSLContext> leaves = new ConcurrentHashMap<>();

  PoolAuthority() {
    long now = Instant.now().toEpochMilli();
    this.authority = new HeldCertificate.Builder()
        .certificateAuthority(0)
        .commonName("Airlock egress pool CA")
        .organizationalUnit(UUID.randomUUID().toString())
        .validityInterval(now - TimeUnit.DAYS.toMillis(1), now + VALIDITY.toMillis())
        .build();
  }

  X509Certificate certificate() {
    return authority.certificate();
  }

  /** A server context presenting a leaf certificate for {@code host} signed by this authority. */
  SSLContext serverContext(String host) {
    return leaves.computeIfAbsent(host, name -> {
      long now = Instant.now().toEpochMilli();
      HeldCertificate leaf = new HeldCertificate.Builder()
          .commonName(name)
          .addSubjectAlternativeName(name)
          .signedBy(authority)
          .validityInterval(now - TimeUnit.DAYS.toMillis(1), now + VALIDITY.toMillis())
          .build();
      return new HandshakeCertificates.Builder().heldCertificate(leaf, authority.certificate()).build().sslContext();
    });
  }

  /** PKCS12 with the JDK's default trusted certificates and this authority's certificate; no private key. */
  byte[] workerTrustStore(String password) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (X509Certificate issuer : defaultTrust().getAcceptedIssuers()) {
        store.setCertificateEntry("jdk-" + i++, issuer);
      }
      store.setCertificateEntry("airlock-egress-pool-ca", authority.certificate());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      store.store(out, password.toCharArray());
      return out.toByteArray();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("could not build the egress trust store for the worker", e);
    }
  }

  static X509TrustManager defaultTrust() {
    try {
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init((KeyStore) null);
      for (var manager : factory.getTrustManagers()) {
        if (manager instanceof X509TrustManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("the JDK has no default X509 trust manager");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("could not load the JDK's default trust", e);
    }
  }
}
