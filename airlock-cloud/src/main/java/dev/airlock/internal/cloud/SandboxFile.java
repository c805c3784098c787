package dev.airlock.internal.cloud;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One file to write into a sandbox, from a host file or from bytes.
 *
 * @param path absolute path inside the sandbox
 */
public record SandboxFile(String path, Path source, byte[] content) {

  public SandboxFile {
    Objects.requireNonNull(path, "path");
    if ((source == null) == (content == null)) {
      throw new IllegalArgumentException("a sandbox file has either a source or content");
    }
  }

  public static SandboxFile of(String path, Path source) {
    return new SandboxFile(path, source, null);
  }

  public static SandboxFile of(String path, byte[] content) {
    return new SandboxFile(path, null, content.clone());
  }

  public long size() throws IOException {
    return source != null ? Files.size(source) : content.length;
  }

  public InputStream open() throws IOException {
    return source != null ? Files.newInputStream(source) : new ByteArrayInputStream(content);
  }

  /** The file name part of {@link #path()}. */
  public String fileName() {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
