package dev.airlock.internal.e2b;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.EOFException;
import java.io.IOException;
import okio.Buffer;
import okio.BufferedSource;

/**
 * Connect's envelope framing for streaming calls: one flags byte, a 32-bit big-endian length, the JSON message.
 * Flag 0x02 marks the end-of-stream message that carries the call's error, if any; a stream that stops without it
 * was cut, and anything after it is a protocol violation.
 */
final class ConnectEnvelopes {
  static final int END_STREAM = 0x02;
  static final int COMPRESSED = 0x01;
  /** envd sends at most 32 KiB of output per data event; base64 and JSON make it bigger, but not this big. */
  static final int MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

  private ConnectEnvelopes() {
  }

  static byte[] envelope(byte[] json) {
    Buffer buffer = new Buffer();
    buffer.writeByte(0).writeInt(json.length).write(json);
    return buffer.readByteArray();
  }

  /** Reads a server stream message by message. */
  static final class Reader {
    private final BufferedSource source;
    private boolean ended;

    Reader(BufferedSource source) {
      this.source = source;
    }

    /**
     * The next message, or null after a clean end-of-stream.
     *
     * @throws ConnectException for an error in the end-of-stream message
     * @throws IOException when the stream was cut or broke the framing
     */
    JsonNode next() throws IOException {
      if (ended) {
        return null;
      }
      if (source.exhausted()) {
        throw new E2bProtocolException("the stream ended without Connect's end-of-stream message");
      }
      int flags;
      long length;
      byte[] payload;
      try {
        flags = source.readByte() & 0xFF;
        length = source.readInt() & 0xFFFFFFFFL;
        if (length > MAX_MESSAGE_BYTES) {
          throw new E2bProtocolException("a stream message of " + length + " bytes is over the limit of "
              + MAX_MESSAGE_BYTES);
        }
        payload = source.readByteArray(length);
      } catch (EOFException e) {
        throw new E2bProtocolException("the stream was cut inside a message");
      }
      if ((flags & COMPRESSED) != 0) {
        throw new E2bProtocolException("a compressed stream message arrived, but no compression was offered");
      }
      JsonNode message = Json.MAPPER.readTree(payload);
      if (message == null || !message.isObject()) {
        throw new E2bProtocolException("a stream message is not a JSON object");
      }
      if ((flags & END_STREAM) == 0) {
        return message;
      }
      ended = true;
      if (!source.exhausted()) {
        throw new E2bProtocolException("data followed Connect's end-of-stream message");
      }
      JsonNode error = message.get("error");
      if (error != null && !error.isNull()) {
        throw ConnectException.of(error);
      }
      return null;
    }
  }
}
