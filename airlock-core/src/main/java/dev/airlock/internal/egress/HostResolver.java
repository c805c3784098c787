package dev.airlock.internal.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Resolves a host name for the egress proxy, on the host. The proxy checks every address it returns and connects to
 * one it checked, so a name cannot be re-resolved to another address between the check and the connection.
 */
@FunctionalInterface
public interface HostResolver {

  /** The system resolver. */
  HostResolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));

  List<InetAddress> resolve(String host) throws UnknownHostException;
}
