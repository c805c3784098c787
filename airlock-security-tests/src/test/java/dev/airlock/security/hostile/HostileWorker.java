package dev.airlock.security.hostile;

import dev.airlock.internal.codec.Codec;
import dev.airlock.internal.wire.ChannelStreams;
import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import dev.airlock.internal.worker.ClasspathFingerprint;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.collections.functors.InvokerTransformer;
import org.apache.xalan.xsltc.trax.TemplatesImpl;

/**
 * A worker that speaks the wire protocol but lies: {@code HostileWorker --connect <socket> <Lie>}. It runs only in
 * a child JVM; the gadget canaries it builds are loaded there, never on the host.
 */
public final class HostileWorker {
  private static final int UNLIMITED = 64 * 1024 * 1024;

  /** Each would start a line of its own in the host's log if written as it is. */
  public static final List<String> FORGED_LINES = List.of(
      "ok\n[main] INFO com.acme.Billing - refund of 10000 USD approved",
      "ok\r[main] INFO com.acme.Billing - carriage return",
      "ok\u2028[main] INFO com.acme.Billing - line separator",
      "ok\u2029[main] INFO com.acme.Billing - paragraph separator",
      "ok\u0085[main] INFO com.acme.Billing - next line",
      "ok\u000b\u000c\u001b[2K\u001b[1G[main] INFO com.acme.Billing - terminal escape",
      "ok \u202egnillib.emca.moc OFNI ]niam[ - bidi override");

  private final Lie lie;
  private final OutputStream raw;
  private final FrameWriter writer;
  private final FrameReader reader;

  private HostileWorker(Lie lie, SocketChannel channel) {
    this.lie = lie;
    this.raw = ChannelStreams.output(channel);
    this.writer = new FrameWriter(raw);
    this.reader = new FrameReader(ChannelStreams.input(channel), UNLIMITED);
  }

  /**
   * Skips what a real worker takes without answering (PREPARE), as a worker that lies only in its answers would,
   * and answers a WARM_UP at once, or as its lie says.
   */
  private Frame nextInvoke() throws IOException {
    Frame frame = reader.read();
    while (frame.type() != FrameType.INVOKE) {
      if (frame.type() == FrameType.WARM_UP) {
        answerWarmUp(Messages.warmUp(frame.body(), "WARM_UP"));
      }
      frame = reader.read();
    }
    return frame;
  }

  private void answerWarmUp(long warmUpId) throws IOException {
    switch (lie) {
      case WARM_UP_ANSWERED_WITH_A_RESULT -> result(warmUpId, encode(42));
      case WARMED_FOR_ANOTHER_WARM_UP -> writer.write(FrameType.WARMED, Messages.warmUp(warmUpId + 1));
      case WARM_UP_NEVER_ANSWERED -> {
        // Silent: the host's watchdog ends its wait.
      }
      default -> writer.write(FrameType.WARMED, Messages.warmUp(warmUpId));
    }
  }

  /** The fingerprint {@link Lie#FORGED_FINGERPRINT} sends: a forged host log line, then hidden text. */
  public static final String FORGED_FINGERPRINT =
      "x\n2026-01-01 [main] INFO com.acme.Billing - refund approved\r\u001b[2K\u202etxet neddih";

  /** Whether the lie is in the answer to a warm-up, which the host asks of a pre-started worker only. */
  public static boolean liesAboutItsWarmUp(Lie lie) {
    return lie == Lie.WARM_UP_ANSWERED_WITH_A_RESULT || lie == Lie.WARMED_FOR_ANOTHER_WARM_UP
        || lie == Lie.WARM_UP_NEVER_ANSWERED;
  }

  public static void main(String[] args) throws Exception {
    dieWithParent();
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(args[1]));
    new HostileWorker(Lie.valueOf(args[2]), channel).run();
  }

  private void run() throws Exception {
    if (lie == Lie.SILENT_HANDSHAKE) {
      hang();
    }
    int version = lie == Lie.WRONG_PROTOCOL_VERSION ? Messages.PROTOCOL_VERSION + 41 : Messages.PROTOCOL_VERSION;
    String fingerprint = lie == Lie.FORGED_FINGERPRINT ? FORGED_FINGERPRINT : ClasspathFingerprint.ofThisJvm();
    writer.write(FrameType.HELLO, Messages.hello(new Messages.Hello(version, fingerprint,
        ProcessHandle.current().pid())));
    Messages.Invoke invoke = Messages.invoke(nextInvoke().body());
    long callId = invoke.callId();
    switch (lie) {
      case ANNOUNCED_FRAME_NEVER_SENT -> {
        int body = invoke.maxResultBytes() + FrameReader.HEADER_ALLOWANCE;
        rawFrame(1 + body, FrameType.RESULT.code(), Messages.resultHeader(callId, 0));
        hang();
      }
      case HUGE_LENGTH_PREFIX -> rawFrame(Integer.MAX_VALUE, FrameType.RESULT.code(), new byte[16]);
      case FRAME_CUT_SHORT -> {
        rawFrame(1000, FrameType.RESULT.code(), new byte[10]);
        Runtime.getRuntime().halt(0);
      }
      case GARBAGE_FRAME -> rawFrame(16, (byte) 0x7f, "not a frame at all".getBytes());
      case GARBAGE_RESULT -> result(callId, new byte[] {(byte) 0xfe, 0x13, 0x37, (byte) 0xff, 0, 0, 0, 0});
      case GADGET_INVOKER_TRANSFORMER -> result(callId, encode(new InvokerTransformer()));
      case GADGET_JDK_TEMPLATES_IMPL ->
          result(callId, KryoBytes.classNamed("com.sun.org.apache.xalan.internal.xsltc.trax.TemplatesImpl"));
      case GADGET_NESTED_IN_ALLOWED_LIST -> result(callId, encode(new ArrayList<>(List.of("ok", new TemplatesImpl()))));
      case HASHMAP_GADGET_KEY -> result(callId, encode(new HashMap<>(Map.of(new InvokerTransformer(), "value"))));
      case HASHMAP_SELF_HASHING_KEY -> result(callId, KryoBytes.written(selfHashingMap(), true));
      case BILLION_NULLS_LINKED_LIST ->
          result(callId, KryoBytes.collectionOfNulls("java.util.LinkedList", 1_000_000_000));
      case NESTED_100000_DEEP -> result(callId, encodeDeep(100_000));
      case RESULT_FOR_ANOTHER_CALL -> result(callId + 1, encode(42));
      case UNSOLICITED_WARMED -> {
        writer.write(FrameType.WARMED, Messages.warmUp(callId));
        result(callId, encode(42));
      }
      case ENDLESS_LOG_FRAMES -> {
        byte[] line = Messages.log(new Messages.Log(false, "spam ".repeat(200)));
        while (true) {
          writer.write(FrameType.LOG, line);
        }
      }
      case FORGED_LOG_LINES -> {
        for (String forged : FORGED_LINES) {
          writer.write(FrameType.LOG, Messages.log(new Messages.Log(false, forged)));
          writer.write(FrameType.LOG, Messages.log(new Messages.Log(true, forged)));
        }
        result(callId, encode(42));
      }
      case REFERENCE_CYCLE -> {
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        result(callId, KryoBytes.written(cycle, true));
      }
      case CC4_TRANSFORMING_COMPARATOR -> result(callId, encode(Gadgets.transformingComparatorTreeMap()));
      case FOREIGN_COMPARATOR_IN_TREEMAP -> {
        TreeMap<Object, Object> map = new TreeMap<>(new CanaryComparator());
        map.put("a", "b");
        result(callId, encode(map));
      }
      case SHARED_NESTED_LISTS_IN_HASHSET -> result(callId, KryoBytes.written(Gadgets.sharedNestedListsInHashSet(60),
          true));
      case COLLIDING_HASH_LISTS -> result(callId, encode(Gadgets.collidingHashLists(60_000)));
      case RESULT_OF_ANOTHER_TYPE -> result(callId, encode(new ArrayList<>(List.of("not", "an", "integer"))));
      default -> {
        // NO_ANSWER, WRONG_PROTOCOL_VERSION and the lies about a warm-up: nothing more to say.
      }
    }
    hang();
  }

  private void rawFrame(int declaredLength, byte type, byte[] body) throws IOException {
    DataOutputStream out = new DataOutputStream(raw);
    out.writeInt(declaredLength);
    out.writeByte(type);
    out.write(body);
    out.flush();
  }

  private void result(long callId, byte[] payload) throws IOException {
    byte[] header = Messages.resultHeader(callId, 0);
    byte[] body = new byte[header.length + payload.length];
    System.arraycopy(header, 0, body, 0, header.length);
    System.arraycopy(payload, 0, body, header.length, payload.length);
    writer.write(FrameType.RESULT, body);
  }

  private static byte[] encode(Object value) {
    return Codec.encodeResult(value, UNLIMITED);
  }

  private static Map<Object, Object> selfHashingMap() {
    Map<Object, Object> map = new HashMap<>();
    List<Object> first = new ArrayList<>(List.of(1));
    List<Object> second = new ArrayList<>(List.of(2));
    map.put(first, "a");
    map.put(second, "b");
    first.add(map);
    second.add(map);
    return map;
  }

  /** Writing 100,000 levels recurses as deep in Kryo, so it runs on a thread with a large stack. */
  private static byte[] encodeDeep(int depth) throws InterruptedException {
    byte[][] out = new byte[1][];
    Thread deep = new Thread(null, () -> {
      List<Object> list = new ArrayList<>();
      for (int i = 0; i < depth; i++) {
        List<Object> outer = new ArrayList<>();
        outer.add(list);
        list = outer;
      }
      out[0] = KryoBytes.written(list, false);
    }, "deep", 1L << 30);
    deep.start();
    deep.join();
    return out[0];
  }

  private static void dieWithParent() {
    ProcessHandle parent = ProcessHandle.current().parent().orElseThrow();
    Thread watch = new Thread(() -> {
      parent.onExit().join();
      Runtime.getRuntime().halt(3);
    }, "parent-watch");
    watch.setDaemon(true);
    watch.start();
  }

  private static void hang() throws InterruptedException {
    Thread.sleep(Long.MAX_VALUE);
  }
}
