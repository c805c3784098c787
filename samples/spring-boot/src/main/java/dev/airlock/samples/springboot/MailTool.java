package dev.airlock.samples.springboot;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import org.springframework.stereotype.Component;

/**
 * Sends mail on the agent's behalf: policy {@code outbox} (application.yml) requires a person's approval for
 * {@code send*}, so a call is suspended until someone approves it at {@code POST /approvals/{id}}.
 */
@Component
public class MailTool {

  @Airlock(sandbox = true, sandboxRequired = true, policy = "outbox")
  public String sendMail(String to, String subject) {
    return "queued mail to " + to + ": " + subject + (AirlockRuntime.isSandboxed() ? " (from the sandbox)" : "");
  }
}
