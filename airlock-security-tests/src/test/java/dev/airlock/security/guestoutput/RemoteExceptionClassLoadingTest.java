package dev.airlock.security.guestoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxedCodeException;
import dev.airlock.internal.wire.RemoteFailure;
import dev.airlock.security.WorkerProcesses;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An exception comes back as a record whose class names are the guest's to choose (guest code writes the ERROR frame
 * to its channel itself). Rebuilding the same type on the host looked each name up in the JDK's modules, which loads
 * the class: any of the JDK's 26,500 classes, gadgets such as {@code com.sun.rowset.JdbcRowSetImpl} and
 * {@code java.beans.XMLDecoder} included, 17 a call (a cause chain's length), and the platform and boot loaders never
 * unload them. Loading all of them took the host's metaspace up by 113 MiB (measured on JDK 17), for good: enough to
 * fail a host run with {@code -XX:MaxMetaspaceSize}. A class named by a sandbox must not be loaded on the host unless
 * it can only be one of the JDK's exception types.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RemoteExceptionClassLoadingTest {
  /** JDK classes that no host of this test loads by itself; none is an exception type. */
  static final List<String> NEVER_LOADED = List.of("com.sun.rowset.JdbcRowSetImpl", "java.beans.XMLDecoder",
      "javax.naming.InitialContext", "java.rmi.registry.LocateRegistry", "javax.script.ScriptEngineManager",
      "javax.management.remote.JMXConnectorFactory", "javax.swing.JTable", "javax.swing.JTree",
      "javax.swing.plaf.nimbus.NimbusLookAndFeel", "javax.swing.text.html.HTMLEditorKit", "java.awt.Robot",
      "javax.sound.midi.MidiSystem", "javax.imageio.ImageIO", "javax.print.PrintServiceLookup",
      "java.awt.print.PrinterJob", "javax.swing.JFileChooser", "javax.swing.JColorChooser");

  @Test
  void classesAGuestNamesInItsExceptionRecordAreNotLoadedOnTheHost() throws Exception {
    for (String name : NEVER_LOADED) {
      assertThat(loadedOnHost(name)).as("%s loaded before the call", name).isFalse();
    }
    AirlockConfig config = AirlockConfig.builder().backend("local")
        .localIsolation(AirlockConfig.LocalIsolation.STRICT).timeoutSeconds(30).build();
    try (SandboxPool pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(false).build()) {
      Throwable thrown = catchThrowable(() -> pool.call(RemoteExceptionClassLoadingTest::failNamingClasses));

      assertThat(thrown).isInstanceOf(SandboxedCodeException.class);
      assertThat(((SandboxedCodeException) thrown).remoteClassName()).isEqualTo(NEVER_LOADED.get(0));
      assertThat(NEVER_LOADED).as("classes the guest named, loaded on the host")
          .filteredOn(RemoteExceptionClassLoadingTest::loadedOnHost).isEmpty();
      assertThat(pool.stats().fallbacks()).isZero();
    }
    assertThat(WorkerProcesses.descendants()).isEmpty();
  }

  /** Guest code: answers its call with an exception whose cause chain names one class per link, then halts. */
  static String failNamingClasses() throws Exception {
    RemoteFailure failure = null;
    for (int i = NEVER_LOADED.size() - 1; i >= 0; i--) {
      failure = new RemoteFailure(NEVER_LOADED.get(i), "link " + i, List.of(), failure);
    }
    GuestChannel.answerWithFailure(failure);
    Runtime.getRuntime().halt(0);
    return "unreachable";
  }

  /** Whether the host JVM has loaded {@code className}, asked without loading it (jcmd's VM.class_hierarchy). */
  static boolean loadedOnHost(String className) {
    try {
      String hierarchy = (String) ManagementFactory.getPlatformMBeanServer().invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmClassHierarchy",
          new Object[] {new String[] {className}}, new String[] {String[].class.getName()});
      return hierarchy.contains(className);
    } catch (Exception e) {
      throw new IllegalStateException("cannot ask the JVM which classes it loaded", e);
    }
  }
}
