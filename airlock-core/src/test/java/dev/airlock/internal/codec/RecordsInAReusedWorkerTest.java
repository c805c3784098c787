package dev.airlock.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxCall;
import dev.airlock.SandboxPool;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A reused worker stays reused after calls shipping many records: the record serializer's switch to method handles
 * ran on a thread of its own in the worker, which outlived the call, so the worker's idle proof failed and every
 * such call cost the pool its worker and the next call a cold start.
 */
class RecordsInAReusedWorkerTest {

  record Row(String name, long count) {
  }

  record Rows(List<Row> rows) implements SandboxCall<Integer> {
    @Override
    public Integer call() {
      return rows.size();
    }
  }

  @Test
  void aWorkerThatDecodedThousandsOfRecordsIsReused() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 3 * RecordSerializer.HANDLES_AFTER; i++) {
      rows.add(new Row("row-" + i, i));
    }
    try (SandboxPool pool = SandboxPool.builder(AirlockConfig.builder().build()).backend("local").minSize(0)
        .maxSize(1).reuse(true).build()) {
      for (int i = 0; i < 3; i++) {
        assertThat(pool.call(new Rows(rows))).isEqualTo(rows.size());
      }
      assertThat(pool.stats().workersStarted()).as("one worker served every call").isEqualTo(1);
    }
  }
}
