package dev.airlock.samples.springai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.AirlockConfig;
import dev.airlock.AirlockPolicy;
import dev.airlock.AirlockRuntime;
import dev.airlock.ApprovalDecision;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.DefaultToolCallingManager;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.model.tool.ToolExecutionResult;

/**
 * Spring AI's own tool-calling manager runs the tool call a model asked for; the conversation it builds for the
 * model's next turn carries Airlock's answer. No network, no API key.
 */
@Timeout(120)
class SpringAiSampleTest {

  @BeforeAll
  static void configure() {
    AirlockRuntime.configure(AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).build());
    AirlockRuntime.registerPolicy("notes", AirlockPolicy.builder().deny("delete*").requireApproval("share*")
        .masking(AirlockPolicy.Masking.TYPE_ONLY).build());
  }

  @AfterAll
  static void close() {
    AirlockRuntime.closePools();
  }

  private static String toolResponseFor(String tool, String arguments) {
    Prompt prompt = new Prompt(List.of(new UserMessage("please use " + tool)),
        ToolCallingChatOptions.builder().toolCallbacks(AirlockToolCallback.from(new NoteTools())).build());
    AssistantMessage modelTurn = new AssistantMessage("", Map.of(),
        List.of(new AssistantMessage.ToolCall("call-1", "function", tool, arguments)));
    ToolExecutionResult result = DefaultToolCallingManager.builder().build()
        .executeToolCalls(prompt, new ChatResponse(List.of(new Generation(modelTurn))));
    List<Message> history = result.conversationHistory();
    ToolResponseMessage response = (ToolResponseMessage) history.get(history.size() - 1);
    return response.getResponses().get(0).responseData();
  }

  @Test
  void aSandboxedToolAnswersWithMaskedOutput() {
    assertThat(toolResponseFor("readNote", "{\"name\":\"groceries\"}"))
        .contains("note groceries (read in the sandbox)").contains("[EMAIL]").doesNotContain("ann@example.com");
  }

  @Test
  void aDeniedToolReachesTheModelAsABlock() {
    assertThat(toolResponseFor("deleteNote", "{\"name\":\"groceries\"}"))
        .startsWith("{\"blocked\":true,\"tool\":\"deleteNote\",\"reason\":\"DENIED\"");
  }

  @Test
  void invalidArgumentsAreBlockedWithAFixHint() {
    assertThat(toolResponseFor("readNote", "{\"name\":\"Not A Name!\"}"))
        .contains("\"reason\":\"VALIDATION\"").contains("fix name:");
  }

  /**
   * Issue 18: the model's call needs approval, so Spring AI hands the model "awaiting approval"; a person approves
   * (this test), and the resumed result goes to the model as the response to its tool call.
   */
  @Test
  void aCallAwaitingApprovalIsResumedAndItsResultDeliveredToTheModel() throws Exception {
    String awaiting = toolResponseFor("shareNote", "{\"name\":\"groceries\",\"with\":\"ann@example.com\"}");
    JsonNode message = new ObjectMapper().readTree(awaiting);
    assertThat(message.get("status").asText()).isEqualTo("awaiting approval");
    String callId = message.get("callId").asText();

    String resumed = AirlockToolCallback.resume(callId, ApprovalDecision.approve("test-person"));
    ToolResponseMessage delivered = new ToolResponseMessage(
        List.of(new ToolResponseMessage.ToolResponse("call-1", "shareNote", resumed)));

    assertThat(delivered.getResponses().get(0).responseData())
        .isEqualTo("shared note groceries with [EMAIL] (in the sandbox)");
    assertThat(AirlockToolCallback.resume(callId, ApprovalDecision.approve("test-person")))
        .as("a second approval runs nothing").contains("IllegalArgumentException");
  }
}
