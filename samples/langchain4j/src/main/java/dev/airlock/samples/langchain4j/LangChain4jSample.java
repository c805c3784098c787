package dev.airlock.samples.langchain4j;

import dev.airlock.AirlockPolicy;
import dev.airlock.AirlockRuntime;

/**
 * Registers the policy the tools name: deleting is denied, sharing needs a person's approval, output is masked,
 * calls are rate-limited.
 */
public final class LangChain4jSample {

  private LangChain4jSample() {
  }

  public static void registerPolicy() {
    AirlockRuntime.registerPolicy("notes", AirlockPolicy.builder()
        .deny("delete*")
        .requireApproval("share*")
        .rateLimit("30/minute")
        .masking(AirlockPolicy.Masking.TYPE_ONLY)
        .build());
  }
}
