package dev.airlock.agent;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The agent jar's {@code Main-Class}: {@code java -jar airlock-agent.jar doctor [--cp CLASSPATH] [--agent-options
 * K=V,...] [--json] [--backend NAME]}. It loads the airlock-core the jar carries ({@link DoctorBundle}) and the
 * application's classpath in a loader of the doctor's own, and hands over to {@code Doctor} in airlock-core.
 */
public final class AgentMain {
  static final int USAGE = 2;
  private static final String DOCTOR = "dev.airlock.internal.doctor.Doctor";

  private AgentMain() {
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || !args[0].equals("doctor")) {
      err.println("usage: java -jar airlock-agent.jar doctor [--help]; as an agent: "
          + "java -javaagent:airlock-agent.jar[=backend=local,...] -jar app.jar");
      return USAGE;
    }
    List<String> doctorArgs = new ArrayList<>();
    List<Path> applicationClasspath = new ArrayList<>();
    Map<String, String> agentOptions = Map.of();
    try {
      for (int i = 1; i < args.length; i++) {
        if (args[i].equals("--cp") || args[i].equals("--agent-options")) {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException(args[i] + " needs a value");
          }
          if (args[i].equals("--cp")) {
            applicationClasspath.addAll(classpath(args[++i]));
          } else {
            agentOptions = AgentOptions.parse(args[++i]);
          }
        } else {
          doctorArgs.add(args[i]);
        }
      }
    } catch (IllegalArgumentException e) {
      err.println("airlock doctor: " + e.getMessage());
      return USAGE;
    }
    try {
      List<Path> classpath = new ArrayList<>(DoctorBundle.unpack(agentJar()));
      classpath.addAll(applicationClasspath);
      return doctor(classpath, doctorArgs, agentOptions, out, err);
    } catch (IOException e) {
      err.println("airlock doctor: cannot unpack the airlock-core it carries: " + e.getMessage());
      return USAGE;
    }
  }

  /**
   * Runs the doctor with airlock-core first, then the application's classpath. The JVM's {@code java.class.path}
   * becomes that same classpath, since the local backend starts its workers with the host's classpath: in this JVM,
   * which only runs the doctor, it is the classpath the doctor's code really comes from.
   */
  private static int doctor(List<Path> classpath, List<String> args, Map<String, String> agentOptions,
      PrintStream out, PrintStream err) throws MalformedURLException {
    URL[] urls = new URL[classpath.size()];
    for (int i = 0; i < urls.length; i++) {
      urls[i] = classpath.get(i).toUri().toURL();
    }
    System.setProperty("java.class.path",
        classpath.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator)));
    URLClassLoader loader = new URLClassLoader("airlock-doctor", urls, ClassLoader.getPlatformClassLoader());
    Thread.currentThread().setContextClassLoader(loader);
    try {
      Class<?> doctor = Class.forName(DOCTOR, true, loader);
      return (int) doctor.getMethod("run", String[].class, Map.class, PrintStream.class, PrintStream.class)
          .invoke(null, args.toArray(String[]::new), agentOptions, out, err);
    } catch (InvocationTargetException e) {
      err.println("airlock doctor failed: " + e.getCause());
      e.getCause().printStackTrace(err);
      return USAGE;
    } catch (ReflectiveOperationException e) {
      err.println("airlock doctor: the airlock-core it carries has no " + DOCTOR + ": " + e);
      return USAGE;
    }
  }

  /** A classpath as {@code java -cp} takes it: entries split by the path separator, {@code dir/*} for its jars. */
  static List<Path> classpath(String text) {
    List<Path> entries = new ArrayList<>();
    for (String entry : text.split(File.pathSeparator)) {
      if (entry.isBlank()) {
        continue;
      }
      if (entry.endsWith("*")) {
        Path dir = Path.of(entry.substring(0, entry.length() - 1));
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(dir, "*.{jar,JAR}")) {
          List<Path> found = new ArrayList<>();
          jars.forEach(found::add);
          found.sort(null);
          found.forEach(jar -> entries.add(jar.toAbsolutePath().normalize()));
        } catch (IOException e) {
          throw new IllegalArgumentException("--cp entry " + entry + ": " + dir + " is not a readable folder");
        }
        continue;
      }
      Path path = Path.of(entry).toAbsolutePath().normalize();
      if (!Files.exists(path)) {
        throw new IllegalArgumentException("--cp entry " + entry + " does not exist");
      }
      entries.add(path);
    }
    return entries;
  }

  private static Path agentJar() throws IOException {
    try {
      return Path.of(AgentMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IOException("cannot tell which jar the agent was loaded from: " + e);
    }
  }
}
