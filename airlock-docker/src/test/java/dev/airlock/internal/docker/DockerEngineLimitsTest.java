package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.Info;
import dev.airlock.IsolationPosture.Control;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Attack review 16: an engine whose kernel lacks swap accounting (cgroup v1 without {@code swapaccount=1}, common on
 * Debian and Ubuntu), a memory or a pids controller drops that limit from every container with a warning only the
 * create call sees, and the container runs without it; the posture still said memory ("swap equal to memory (none)")
 * and pids were enforced. The engine says which limits it can apply in its info: the posture reads them there.
 */
class DockerEngineLimitsTest {
  /** docker-java's own mapper, which keeps the fields its model lacks ({@code PidsLimit}) as raw values. */
  private static final ObjectMapper JSON = com.github.dockerjava.core.DefaultDockerClientConfig
      .createDefaultConfigBuilder().build().getObjectMapper();

  @Test
  void limitsTheEngineCannotApplyAreReportedNotEnforced() throws Exception {
    Info noSwap = JSON.readValue("{\"MemoryLimit\":true,\"SwapLimit\":false,\"PidsLimit\":true}", Info.class);
    assertThat(DockerBackend.limitControls(noSwap, 64)).satisfiesExactly(
        memory -> assertThat(memory).extracting(Control::name, Control::enforced).containsExactly("memory", false),
        pids -> assertThat(pids).extracting(Control::name, Control::enforced).containsExactly("pids", true));
    assertThat(DockerBackend.limitControls(noSwap, 64).get(0).how()).contains("swap NOT limited", "swapaccount=1");

    Info none = JSON.readValue("{\"MemoryLimit\":false,\"SwapLimit\":false,\"PidsLimit\":false}", Info.class);
    List<Control> controls = DockerBackend.limitControls(none, 64);
    assertThat(controls).noneMatch(Control::enforced);
    assertThat(controls.get(0).how()).contains("memory NOT limited");
    assertThat(controls.get(1).how()).contains("pids NOT limited");

    Info all = JSON.readValue("{\"MemoryLimit\":true,\"SwapLimit\":true,\"PidsLimit\":true,"
        + "\"CgroupVersion\":\"2\"}", Info.class);
    assertThat(DockerBackend.limitControls(all, 64)).allMatch(Control::enforced);
    assertThat(DockerBackend.limitControls(all, 64).get(1).how()).contains("pids limit 64");
  }

  /** Attack review 24: cgroup v1 does not count TCP socket buffers against the limit (DockerSocketMemoryTest). */
  @Test
  void anEngineOnCgroupV1LeavesSocketBuffersUncounted() throws Exception {
    for (String json : List.of("{\"MemoryLimit\":true,\"SwapLimit\":true,\"PidsLimit\":true,\"CgroupVersion\":\"1\"}",
        "{\"MemoryLimit\":true,\"SwapLimit\":true,\"PidsLimit\":true}")) {
      Control memory = DockerBackend.limitControls(JSON.readValue(json, Info.class), 64).get(0);
      assertThat(memory.enforced()).as(json).isFalse();
      assertThat(memory.how()).contains("socket buffers NOT limited", "net.ipv4.tcp_mem", "cgroup v2");
    }
  }

  @Test
  void theTestEngineReportsEveryLimitItHas() {
    Info engine = DockerTestEngine.require().client().infoCmd().exec();
    List<Control> controls = DockerBackend.limitControls(engine, 64);
    assertThat(controls.get(1).enforced()).isTrue();
    assertThat(controls.get(0).enforced()).as(controls.get(0).toString())
        .isEqualTo("2".equals(engine.getCGroupVersion()));
  }

  /**
   * Attack review 27: a runtime other than runc may not hand the profile to the kernel (gVisor's runsc applies it
   * only with --oci-seccomp), and the posture said Airlock's profile held under any runtime.
   */
  @Test
  void theProfileIsEnforcedOnlyUnderARuntimeThatHandsItToTheKernel() throws Exception {
    String engine = "{\"SecurityOptions\":[\"name=seccomp,profile=default\"],\"Architecture\":\"x86_64\"";
    Info runc = JSON.readValue(engine + ",\"DefaultRuntime\":\"runc\"}", Info.class);
    assertThat(DockerBackend.syscallsControl(runc, "")).extracting(Control::enforced).isEqualTo(true);
    assertThat(DockerBackend.syscallsControl(runc, "io.containerd.runc.v2").enforced()).isTrue();
    Control named = DockerBackend.syscallsControl(runc, "runsc");
    assertThat(named.enforced()).isFalse();
    assertThat(named.how()).contains("Airlock's seccomp profile", "runtime runsc", "not known to hold");
    Info gvisorByDefault = JSON.readValue(engine + ",\"DefaultRuntime\":\"runsc\"}", Info.class);
    assertThat(DockerBackend.syscallsControl(gvisorByDefault, "").enforced()).isFalse();
    Info unknownArchitecture = JSON.readValue("{\"SecurityOptions\":[\"name=seccomp,profile=default\"],"
        + "\"Architecture\":\"s390x\"}", Info.class);
    assertThat(DockerBackend.syscallsControl(unknownArchitecture, "").how()).contains("not Airlock's", "AIO");
    Info noSeccomp = JSON.readValue("{\"Architecture\":\"x86_64\"}", Info.class);
    assertThat(DockerBackend.syscallsControl(noSeccomp, "").how()).contains("no seccomp filter");
  }
}
