package dev.airlock.internal.wire;

/**
 * One unit of the worker protocol. On the wire: a 4-byte big-endian length of what follows, one type byte, then the
 * body. Both directions use the same framing; bodies are laid out by {@link Messages}.
 */
public record Frame(FrameType type, byte[] body) {
}
