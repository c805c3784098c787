package com.example.agentapp;

import dev.airlock.AirlockApprovalRequiredException;
import dev.airlock.AirlockApprovals;
import dev.airlock.AirlockRuntime;
import dev.airlock.ApprovalDecision;
import dev.airlock.annotation.Airlock;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tools that need approval under the java agent; started by AgentIT. A resumed call re-enters the instrumented
 * method, which must run its body (once), not ask for approval again.
 */
public final class ApprovalApp {
  static final AtomicInteger SENT = new AtomicInteger();

  private ApprovalApp() {
  }

  public static class Tools {
    @Airlock(approval = true)
    public String send(String to) {
      SENT.incrementAndGet();
      return "sent to " + to + " on the " + (AirlockRuntime.isSandboxed() ? "sandbox" : "host");
    }

    @Airlock(sandbox = true, sandboxRequired = true, approval = true)
    public static String where(String who) {
      return who + " in the " + (AirlockRuntime.isSandboxed() ? "sandbox" : "host");
    }
  }

  public static void main(String[] args) throws Throwable {
    Tools tools = new Tools();
    String id = awaiting(() -> tools.send("bob"));
    System.out.println("sent-before-approval=" + SENT.get());
    System.out.println("resumed=" + AirlockApprovals.shared().resume(id, ApprovalDecision.approve("ops")));
    try {
      AirlockApprovals.shared().resume(id, ApprovalDecision.approve("ops"));
      System.out.println("again=ran");
    } catch (IllegalArgumentException e) {
      System.out.println("again=refused");
    }
    System.out.println("sent=" + SENT.get());
    String sandboxed = awaiting(() -> Tools.where("carol"));
    System.out.println("edited=" + AirlockApprovals.shared().resume(sandboxed,
        ApprovalDecision.approveWithArguments("ops", "dave")));
    AirlockRuntime.closePools();
  }

  private static String awaiting(Runnable call) {
    try {
      call.run();
      throw new IllegalStateException("ran without approval");
    } catch (AirlockApprovalRequiredException e) {
      System.out.println("awaiting=" + e.tool());
      return e.callId();
    }
  }
}
