package dev.airlock.samples.springai;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.io.Serializable;
import org.springframework.ai.tool.annotation.Tool;

/** Tools an agent may call. Each is guarded by the policy {@code notes}; reading runs in a sandbox. */
public class NoteTools implements Serializable {
  private static final long serialVersionUID = 1L;

  @Tool(description = "Reads the note with the given name")
  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30, policy = "notes")
  public String readNote(@NotNull @Pattern(regexp = "[a-z0-9-]{1,40}") String name) {
    return "note " + name + " (read " + (AirlockRuntime.isSandboxed() ? "in the sandbox" : "on the host")
        + "); owner contact: ann@example.com";
  }

  @Tool(description = "Deletes the note with the given name")
  @Airlock(policy = "notes")
  public String deleteNote(String name) {
    return "deleted " + name;
  }

  /** Needs a person's approval (the policy's {@code requireApproval("share*")}), then runs in a sandbox. */
  @Tool(description = "Shares the note with the given name with a person")
  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30, policy = "notes")
  public String shareNote(@NotNull @Pattern(regexp = "[a-z0-9-]{1,40}") String name, String with) {
    return "shared note " + name + " with " + with + " ("
        + (AirlockRuntime.isSandboxed() ? "in the sandbox" : "on the host") + ")";
  }
}
