package dev.airlock.internal.codec;

/**
 * A {@code Path} or {@code File} argument in transit. When it named a readable regular file the content comes along
 * and the worker rewrites the argument to a read-only copy; otherwise only the path travels.
 *
 * @param path the path as the caller gave it
 * @param content the file's bytes, or {@code null} when it named no regular file
 * @param asFile whether the argument was a {@code java.io.File} rather than a {@code Path}
 */
public record ShippedFile(String path, byte[] content, boolean asFile) {
}
