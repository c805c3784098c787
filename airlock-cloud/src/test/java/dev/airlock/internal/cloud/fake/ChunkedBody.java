package dev.airlock.internal.cloud.fake;

import java.io.IOException;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import okio.BufferedSink;

/**
 * A response body written while the response is being sent, as {@code Transfer-Encoding: chunked}, the way envd and
 * the sandbox proxy stream. Writes are cut into chunks of at most {@code chunkBytes}, so a client's message
 * boundaries never line up with the chunks it reads.
 */
public final class ChunkedBody implements MockResponseBody {
  private final Writer writer;
  private final int chunkBytes;

  /** Produces the body; each {@link Chunks#write} is sent and flushed at once. */
  @FunctionalInterface
  public interface Writer {
    void writeTo(Chunks chunks) throws IOException;
  }

  /** Where a {@link Writer} puts its bytes. */
  public static final class Chunks {
    private final BufferedSink sink;
    private final int chunkBytes;

    Chunks(BufferedSink sink, int chunkBytes) {
      this.sink = sink;
      this.chunkBytes = chunkBytes;
    }

    public void write(byte[] bytes) throws IOException {
      for (int offset = 0; offset < bytes.length; offset += chunkBytes) {
        int length = Math.min(chunkBytes, bytes.length - offset);
        sink.writeHexadecimalUnsignedLong(length).writeUtf8("\r\n");
        sink.write(bytes, offset, length).writeUtf8("\r\n");
        sink.flush();
      }
    }
  }

  public ChunkedBody(int chunkBytes, Writer writer) {
    this.chunkBytes = chunkBytes;
    this.writer = writer;
  }

  /** A response builder carrying this body with the chunked framing headers instead of a length. */
  public MockResponse.Builder into(MockResponse.Builder response) {
    return response.body(this).removeHeader("Content-Length").setHeader("Transfer-Encoding", "chunked");
  }

  @Override
  public long getContentLength() {
    return -1;
  }

  @Override
  public void writeTo(BufferedSink sink) throws IOException {
    try {
      writer.writeTo(new Chunks(sink, chunkBytes));
    } catch (IOException e) {
      // What feeds the stream broke (a killed process, a dead upstream): a real server's stream is cut there.
      // MockWebServer would carry on with the connection, so the cut shows as chunked framing that stops without its
      // last chunk, which the client cannot read past.
      sink.writeUtf8("\r\n");
      sink.flush();
      return;
    }
    // The last chunk; MockWebServer writes the (empty) trailers and the final CRLF of chunked encoding itself.
    sink.writeUtf8("0\r\n");
    sink.flush();
  }
}
