package dev.airlock.samples.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.langchain4j.service.AiServices;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The model's tool call id reaches the call's execute_tool span as gen_ai.tool.call.id. */
@Timeout(120)
class LangChain4jTracingTest {
  private static final InMemorySpanExporter EXPORTED = InMemorySpanExporter.create();

  @BeforeAll
  static void configure() {
    GlobalOpenTelemetry.resetForTest();
    GlobalOpenTelemetry.set(OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(EXPORTED)).build()).build());
    AirlockRuntime.configure(AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).build());
    LangChain4jSample.registerPolicy();
  }

  @AfterAll
  static void close() {
    AirlockRuntime.closePools();
    GlobalOpenTelemetry.resetForTest();
  }

  @Test
  void theToolCallIdOfTheModelIsOnTheSpan() {
    LangChain4jSampleTest.ScriptedModel model = new LangChain4jSampleTest.ScriptedModel("readNote",
        "{\"name\":\"groceries\"}");
    LangChain4jSampleTest.Assistant assistant = AiServices.builder(LangChain4jSampleTest.Assistant.class)
        .chatModel(model).tools(AirlockToolExecutors.of(new NoteTools())).build();
    assertThat(assistant.chat("please use readNote")).startsWith("the tool said: ");

    SpanData span = EXPORTED.getFinishedSpanItems().stream().filter(s -> s.getName().equals("execute_tool readNote"))
        .findFirst().orElseThrow();
    assertThat(span.getAttributes().get(AttributeKey.stringKey("gen_ai.tool.call.id"))).isEqualTo("call-1");
    assertThat(span.getAttributes().get(AttributeKey.booleanKey("airlock.sandboxed"))).isTrue();
  }
}
