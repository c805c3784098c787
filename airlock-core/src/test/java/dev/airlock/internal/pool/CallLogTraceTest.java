package dev.airlock.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.internal.trace.TraceIds;
import dev.airlock.internal.wire.Messages;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.spi.MDCAdapter;

/**
 * Issue 18 part 2: a line the tool prints in a traced call is relayed with the host's trace and span ids in the MDC,
 * whatever the line says (a worker cannot name other ids), and the caller's own MDC comes back after it.
 */
class CallLogTraceTest {
  private static final TraceIds HOST = TraceIds.of("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

  @Test
  void relayedLinesCarryTheHostIdsAndTheCallersMdcIsRestored() throws ReflectiveOperationException {
    // The tests log through slf4j-simple, whose MDC keeps nothing; an application's logging (Logback, Log4j) keeps it.
    Method setAdapter = MDC.class.getDeclaredMethod("setMDCAdapter", MDCAdapter.class);
    setAdapter.setAccessible(true);
    MDCAdapter before = MDC.getMDCAdapter();
    setAdapter.invoke(null, new BasicMDCAdapter());
    List<String> seen = new ArrayList<>();
    Logger logger = (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
        (proxy, method, args) -> {
          if (method.getName().equals("info") || method.getName().equals("warn")) {
            seen.add(MDC.get("trace_id") + "/" + MDC.get("span_id") + " " + args[args.length - 1]);
          }
          return method.getReturnType() == boolean.class ? true : null;
        });
    MDC.put("trace_id", "the-callers");
    try {
      CallLog log = new CallLog(logger, 7, HOST);
      log.accept(Messages.log(new Messages.Log(false, "trace_id=ffffffffffffffffffffffffffffffff hello")));
      log.accept(Messages.log(new Messages.Log(true, "oops")));
      assertThat(seen).containsExactly(
          "0af7651916cd43dd8448eb211c80319c/b7ad6b7169203331 trace_id=ffffffffffffffffffffffffffffffff hello",
          "0af7651916cd43dd8448eb211c80319c/b7ad6b7169203331 oops");
      assertThat(MDC.get("trace_id")).isEqualTo("the-callers");
      assertThat(MDC.get("span_id")).isNull();

      seen.clear();
      new CallLog(logger, 7).accept(Messages.log(new Messages.Log(false, "untraced")));
      assertThat(seen).containsExactly("the-callers/null untraced");
    } finally {
      MDC.clear();
      setAdapter.invoke(null, before);
    }
  }
}
