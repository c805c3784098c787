package dev.airlock.samples.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.AirlockRuntime;
import dev.airlock.ApprovalDecision;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A scripted model asks for one tool call, then reports what the tool returned: no network, no API key. */
@Timeout(120)
class LangChain4jSampleTest {

  interface Assistant {
    String chat(String message);
  }

  /** Answers the first turn with a tool call and the second with the tool's result, which it records. */
  static class ScriptedModel implements ChatModel {
    private final String tool;
    private final String arguments;
    final List<String> toolResults = new ArrayList<>();

    ScriptedModel(String tool, String arguments) {
      this.tool = tool;
      this.arguments = arguments;
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
      ChatMessage last = request.messages().get(request.messages().size() - 1);
      if (last instanceof ToolExecutionResultMessage result) {
        toolResults.add(result.text());
        return ChatResponse.builder().aiMessage(AiMessage.from("the tool said: " + result.text())).build();
      }
      return ChatResponse.builder().aiMessage(AiMessage.from(ToolExecutionRequest.builder().id("call-1")
          .name(tool).arguments(arguments).build())).build();
    }
  }

  @BeforeAll
  static void configure() {
    AirlockRuntime.configure(AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).build());
    LangChain4jSample.registerPolicy();
  }

  @AfterAll
  static void close() {
    AirlockRuntime.closePools();
  }

  private static ScriptedModel converse(String tool, String arguments) {
    ScriptedModel model = new ScriptedModel(tool, arguments);
    Assistant assistant = AiServices.builder(Assistant.class).chatModel(model)
        .tools(AirlockToolExecutors.of(new NoteTools())).build();
    assertThat(assistant.chat("please use " + tool)).startsWith("the tool said: ");
    return model;
  }

  @Test
  void aSandboxedToolAnswersWithMaskedOutput() {
    ScriptedModel model = converse("readNote", "{\"name\":\"groceries\"}");
    assertThat(model.toolResults).singleElement().asString()
        .contains("note groceries (read in the sandbox)")
        .contains("[EMAIL]").doesNotContain("ann@example.com");
  }

  @Test
  void aDeniedToolReachesTheModelAsABlock() {
    ScriptedModel model = converse("deleteNote", "{\"name\":\"groceries\"}");
    assertThat(model.toolResults).singleElement().asString()
        .startsWith("{\"blocked\":true,\"tool\":\"deleteNote\",\"reason\":\"DENIED\",\"rule\":\"deny: delete*\"")
        .contains("\"fix\":[\"do not call deleteNote");
  }

  @Test
  void invalidArgumentsAreBlockedBeforeShippingWithAFixHint() {
    long shippedBefore = AirlockRuntime.pool().stats().totalExecutions();
    ScriptedModel model = converse("readNote", "{\"name\":\"../../etc/passwd\"}");
    assertThat(model.toolResults).singleElement().asString()
        .contains("\"reason\":\"VALIDATION\"").contains("fix name:");
    assertThat(AirlockRuntime.pool().stats().totalExecutions()).as("nothing was shipped for the invalid call")
        .isEqualTo(shippedBefore);
  }

  /**
   * Issue 18: the model asks to share a note, which needs approval: the tool result it reads is "awaiting approval"
   * with the call id, and nothing ran. A person approves (this test); the resumed result is delivered to the model
   * in its next turn, in the same conversation.
   */
  @Test
  void aCallAwaitingApprovalIsResumedAndItsResultDeliveredToTheModel() throws Exception {
    ScriptedModel model = new ScriptedModel("shareNote", "{\"name\":\"groceries\",\"with\":\"ann@example.com\"}") {
      @Override
      public ChatResponse doChat(ChatRequest request) {
        ChatMessage last = request.messages().get(request.messages().size() - 1);
        if (last instanceof UserMessage user && user.singleText().startsWith("approved: ")) {
          toolResults.add(user.singleText());
          return ChatResponse.builder().aiMessage(AiMessage.from("done")).build();
        }
        return super.doChat(request);
      }
    };
    Assistant assistant = AiServices.builder(Assistant.class).chatModel(model)
        .chatMemory(MessageWindowChatMemory.withMaxMessages(20))
        .tools(AirlockToolExecutors.of(new NoteTools())).build();
    long shippedBefore = AirlockRuntime.pool().stats().totalExecutions();

    assertThat(assistant.chat("please share groceries with Ann")).contains("awaiting approval");
    JsonNode awaiting = new ObjectMapper().readTree(model.toolResults.get(0));
    assertThat(awaiting.get("approvalRequired").asBoolean()).isTrue();
    assertThat(AirlockRuntime.pool().stats().totalExecutions()).as("nothing ran before approval")
        .isEqualTo(shippedBefore);

    String resumed = AirlockToolExecutors.resume(awaiting.get("callId").asText(), ApprovalDecision.approve("test"));
    assertThat(assistant.chat("approved: " + resumed)).isEqualTo("done");

    assertThat(model.toolResults).last().asString()
        .isEqualTo("approved: shared note groceries with [EMAIL] (in the sandbox)");
    assertThat(AirlockRuntime.pool().stats().totalExecutions()).isEqualTo(shippedBefore + 1);
  }
}
