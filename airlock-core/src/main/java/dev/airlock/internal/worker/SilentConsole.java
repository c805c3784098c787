package dev.airlock.internal.worker;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.util.List;

/** What {@link WorkerMain.SILENT_CONSOLE} does, once the worker's channel is connected. */
final class SilentConsole {
  private SilentConsole() {
  }

  /**
   * Points descriptors 1 and 2 at {@code /dev/null} when {@code args} hold the flag. The JDK never closes descriptors
   * 0-2: closing a stream on them points them at {@code /dev/null}, and {@code FileDescriptor.out}/{@code err} stop
   * working, so guest code has no way back to the console.
   */
  static void applyIfAsked(String[] args) throws IOException {
    if (List.of(args).contains(WorkerMain.SILENT_CONSOLE)) {
      new FileOutputStream(FileDescriptor.out).close();
      new FileOutputStream(FileDescriptor.err).close();
    }
  }
}
