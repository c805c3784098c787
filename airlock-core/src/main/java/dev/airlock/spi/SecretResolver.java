package dev.airlock.spi;

import java.util.Optional;

/**
 * Resolves the references in egress secrets ({@code airlock.egress.secrets.<name>.value=Bearer ${vault:openai}})
 * on the host, once when a pool starts. {@code ${env:NAME}} (the host's environment) is built in; a resolver adds a
 * scheme. Resolvers are found with {@link java.util.ServiceLoader}, and the Spring starter adds every bean of this
 * type. A resolved value only ever reaches the host's egress proxy, never a sandbox (see docs/egress.md).
 */
public interface SecretResolver {

  /** The scheme this resolver answers, such as {@code vault} for {@code ${vault:name}}. */
  String scheme();

  /** The secret called {@code name}, or empty when there is none (the pool then refuses to start, naming the key). */
  Optional<String> resolve(String name);
}
