package dev.airlock.internal.e2b;

import dev.airlock.SandboxExecutionException;
import dev.airlock.internal.backend.EgressControl;
import dev.airlock.internal.egress.EgressReport;
import dev.airlock.internal.egress.EgressRule;
import dev.airlock.internal.egress.EgressRules;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One E2B sandbox's egress: the {@code allowOut} E2B holds for it now, and each call's own list put there with
 * {@code PUT /sandboxes/{id}/network} before the call is shipped.
 *
 * <p>Invariant: a sandbox only ever widens. E2B decides once per TCP connection, when it opens (its userspace proxy
 * reads the rules then, by {@code Host}, SNI or address, and afterwards only relays bytes), and its kernel filter
 * lets packets of established flows through before any rule; so a narrowing is not proven to cut a connection a
 * guest keeps open across it. A call whose list lacks an entry the sandbox ever held is therefore refused here and
 * never run on it, and a sandbox whose update failed (E2B may hold either list) runs no further call. Today each
 * cloud sandbox serves one call (its worker cannot be proven idle), so the refusal guards a reuse that does not
 * happen yet; should it come, a sandbox serves after a call only calls allowed at least as much.
 */
final class E2bSandboxEgress implements EgressControl {
  static final String UNMEASURED = "E2B's firewall enforced this call's egress rules inside E2B, which reports "
      + "nothing per call: the hosts contacted, bytes and refused connections are unknown to Airlock (a refused TCP "
      + "connection may even look established to the tool, then hang)";

  private final E2bEgress pool;
  private final E2bApi api;
  private final String sandboxId;
  private List<String> current;
  private final Set<String> held = new TreeSet<>();
  /** Set when an update failed: what E2B holds is unknown, so nothing more runs here. */
  private String unknownSince;

  E2bSandboxEgress(E2bEgress pool, E2bApi api, String sandboxId) {
    this.pool = pool;
    this.api = api;
    this.sandboxId = sandboxId;
    this.current = pool.allowOut();
    this.held.addAll(current);
  }

  @Override
  public void check(List<String> entries) {
    try {
      E2bEgress.allowOut(entries.stream().map(EgressRule::parse).toList());
    } catch (IllegalArgumentException e) {
      throw new SandboxExecutionException("the call's egress cannot be enforced on E2B: " + e.getMessage()
          + "; nothing was shipped (docs/egress.md)");
    }
  }

  /** Puts the call's list on the sandbox unless it holds exactly that; fails closed, the call not shipped. */
  @Override
  public synchronized void beginCall(EgressRules rules) {
    List<String> target;
    try {
      target = E2bEgress.allowOut(rules.allow());
    } catch (IllegalArgumentException e) {
      throw new SandboxExecutionException("the call's egress cannot be enforced on E2B: " + e.getMessage()
          + "; nothing was shipped (docs/egress.md)");
    }
    if (unknownSince != null) {
      throw new SandboxExecutionException("E2B sandbox " + sandboxId + " runs no further call: updating its egress "
          + "rules failed (" + unknownSince + "), so which rules it holds is unknown; nothing was shipped");
    }
    if (!target.containsAll(held)) {
      List<String> wider = held.stream().filter(e -> !target.contains(e)).toList();
      throw new SandboxExecutionException("E2B sandbox " + sandboxId + " held egress rules " + wider + " that this "
          + "call does not have; E2B does not cut a connection opened under wider rules, so the sandbox is not "
          + "reused for it; nothing was shipped");
    }
    if (target.equals(current)) {
      return;
    }
    try {
      api.updateNetwork(sandboxId, pool.update(target));
    } catch (IOException | RuntimeException e) {
      unknownSince = e.getMessage();
      throw new SandboxExecutionException("could not put the call's egress rules " + target + " on E2B sandbox "
          + sandboxId + ", so the call was not shipped (it never runs with rules other than its own): "
          + e.getMessage(), e);
    }
    current = target;
    held.addAll(target);
  }

  /** The rules stay until the sandbox is killed; E2B tells nothing of what the call did ({@link #unmeasured()}). */
  @Override
  public EgressReport endCall() {
    return EgressReport.empty();
  }

  @Override
  public Optional<String> unmeasured() {
    return Optional.of(UNMEASURED);
  }

  /** What E2B holds for the sandbox now, as far as this control knows. */
  synchronized List<String> current() {
    return current;
  }
}
