package dev.airlock.internal.egress;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The first TLS record of a tunnel, read so the proxy can compare the server name the client asks for (SNI) with
 * the host it was allowed to CONNECT to. The whole ClientHello must fit in that record (it does for every mainstream
 * client); anything else is refused rather than guessed at, and so is a ClientHello that hides the name it really asks
 * for inside an encrypted extension (ECH, ESNI): its outer name is not the name the server answers for.
 */
final class ClientHello {
  static final int MAX_RECORD = 16 * 1024 + 256;
  /** TLS Encrypted Client Hello (RFC 9849's encrypted_client_hello). */
  static final int ENCRYPTED_CLIENT_HELLO = 0xfe0d;
  /** The draft ESNI extension that preceded it, still sent by some clients. */
  static final int ENCRYPTED_SERVER_NAME = 0xffce;

  final byte[] record;
  final String serverName;

  private ClientHello(byte[] record, String serverName) {
    this.record = record;
    this.serverName = serverName;
  }

  /** Thrown when the first record is not a ClientHello the proxy can read. */
  static final class NotClientHello extends IOException {
    NotClientHello(String message) {
      super(message);
    }
  }

  static ClientHello read(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    byte[] header = new byte[5];
    data.readFully(header);
    if (header[0] != 22 || header[1] != 3) {
      throw new NotClientHello("the tunnel does not start with a TLS handshake");
    }
    int length = ((header[3] & 0xFF) << 8) | (header[4] & 0xFF);
    if (length < 4 || length > MAX_RECORD) {
      throw new NotClientHello("the first TLS record has an invalid length");
    }
    byte[] record = new byte[5 + length];
    System.arraycopy(header, 0, record, 0, 5);
    data.readFully(record, 5, length);
    try {
      return new ClientHello(record, serverName(ByteBuffer.wrap(record, 5, length).slice()));
    } catch (RuntimeException e) {
      throw new NotClientHello("the TLS ClientHello is malformed");
    }
  }

  /** The host_name entry of the server_name extension, or null when there is none. */
  private static String serverName(ByteBuffer in) throws NotClientHello {
    if (in.get() != 1) {
      throw new NotClientHello("the first TLS handshake message is not a ClientHello");
    }
    int length = u24(in);
    if (length > in.remaining()) {
      throw new NotClientHello("the TLS ClientHello spans more than one record");
    }
    in.limit(in.position() + length);
    in.position(in.position() + 2 + 32); // version, random
    skip(in, in.get() & 0xFF); // session id
    skip(in, u16(in)); // cipher suites
    skip(in, in.get() & 0xFF); // compression methods
    if (!in.hasRemaining()) {
      return null;
    }
    ByteBuffer extensions = window(in, u16(in));
    String name = null;
    while (extensions.hasRemaining()) {
      int type = u16(extensions);
      ByteBuffer body = window(extensions, u16(extensions));
      if (type == ENCRYPTED_CLIENT_HELLO || type == ENCRYPTED_SERVER_NAME) {
        // The outer name would pass the check while the front end serves the one inside (any tenant of a CDN).
        throw new NotClientHello("the TLS ClientHello encrypts the server name it asks for (ECH or ESNI), so the"
            + " proxy cannot check it");
      }
      if (type != 0) {
        continue;
      }
      if (name != null) {
        throw new NotClientHello("the TLS ClientHello has two server_name extensions");
      }
      ByteBuffer list = window(body, u16(body));
      while (list.hasRemaining()) {
        int nameType = list.get() & 0xFF;
        ByteBuffer value = window(list, u16(list));
        if (nameType == 0) {
          if (name != null) {
            throw new NotClientHello("the TLS ClientHello names two hosts");
          }
          byte[] bytes = new byte[value.remaining()];
          value.get(bytes);
          name = new String(bytes, StandardCharsets.ISO_8859_1);
        }
      }
    }
    return name;
  }

  private static ByteBuffer window(ByteBuffer in, int length) {
    ByteBuffer out = in.slice().limit(length);
    in.position(in.position() + length);
    return out;
  }

  private static void skip(ByteBuffer in, int length) {
    in.position(in.position() + length);
  }

  private static int u16(ByteBuffer in) {
    return ((in.get() & 0xFF) << 8) | (in.get() & 0xFF);
  }

  private static int u24(ByteBuffer in) {
    return ((in.get() & 0xFF) << 16) | ((in.get() & 0xFF) << 8) | (in.get() & 0xFF);
  }
}
