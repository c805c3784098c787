package dev.airlock.samples.quickstart;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Calls agent tools as a model would, with the JVM started as {@code java -javaagent:airlock-agent.jar ...}: the
 * tool code has no Airlock calls of its own, only the annotation.
 */
public final class Quickstart {

  private Quickstart() {
  }

  public static void main(String[] args) throws Exception {
    // File arguments ship only from the folders in airlock.files.roots; sandboxed tools get a way out only through
    // the host's egress proxy, to the hosts their @Airlock(egress) names. The pom sets both (the folder with -D, egress
    // among the agent's options); a run without them gets a fresh private folder and egress, applied with configure,
    // since the agent's eager start may have read the configuration already.
    boolean defaults = false;
    Path madeHere = null;
    if (System.getProperty("airlock.files.roots") == null) {
      madeHere = Files.createTempDirectory("airlock-quickstart-");
      System.setProperty("airlock.files.roots", madeHere.toString());
      defaults = true;
    }
    if (System.getProperty("airlock.egress.enabled") == null) {
      System.setProperty("airlock.egress.enabled", "true");
      defaults = true;
    }
    if (defaults) {
      AirlockRuntime.configure(AirlockConfig.fromEnvironment());
    }
    Path notes = Files.createDirectories(Path.of(System.getProperty("airlock.files.roots")));
    try (DocsServer docs = DocsServer.start(AgentTools.DOCS_PORT)) {
      demo(notes);
    } finally {
      AirlockRuntime.closePools();
      if (madeHere != null) {
        try (Stream<Path> made = Files.walk(madeHere)) {
          made.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
      }
    }
  }

  private static void demo(Path notes) throws Exception {
    AgentTools tools = new AgentTools();
    System.out.println("host pid " + ProcessHandle.current().pid() + ", sandboxed=" + AirlockRuntime.isSandboxed());
    System.out.println(AirlockRuntime.pool().posture().describe());
    System.out.println();

    show("runJava(\"6 * 7\")", () -> tools.runJava("6 * 7"));
    Path note = Files.writeString(notes.resolve("note.txt"), "a note on the host");
    show("readFile(" + note.getFileName() + ")", () -> tools.readFile(note));
    String page = "http://127.0.0.1:" + AgentTools.DOCS_PORT + "/guide";
    show("fetchDocs(\"" + page + "\")", () -> tools.fetchDocs(page));

    System.out.println();
    System.out.println("Malicious calls:");
    show("runJava(read the host environment)", () -> tools.runJava("System.getenv(\"PATH\")"));
    show("readFile(/proc/self/environ)", () -> tools.readFile(Path.of("/proc/self/environ")));
    Path escape = note.resolveSibling("airlock-quickstart-escape.txt");
    Files.deleteIfExists(escape);
    show("runJava(write a host file)", () -> tools.runJava(
        "java.nio.file.Files.writeString(java.nio.file.Path.of(\"" + escape + "\"), \"escaped\")"));
    System.out.println("  host file written: " + (Files.exists(escape) ? "YES - NOT CONTAINED" : "no - contained"));
    show("fetch(\"http://example.com\")", () -> tools.fetch("http://example.com"));
    show("fetchDocs(\"http://example.com\")", () -> tools.fetchDocs("http://example.com"));
    show("runJava(endless loop)", () -> tools.runJava("while (true) { }"));
    System.out.println();
    System.out.println(AirlockRuntime.pool().stats());
    Files.deleteIfExists(note);
  }

  private interface Tool {
    String call() throws Exception;
  }

  private static void show(String call, Tool tool) {
    try {
      System.out.println("  " + call + ": " + tool.call());
    } catch (Exception e) {
      System.out.println("  " + call + ": refused with " + e.getClass().getSimpleName() + ": "
          + firstLine(e.getMessage()));
    }
  }

  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }
}
