package dev.airlock.samples.agentboot;

import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** Started as {@code java -javaagent:airlock-agent.jar -jar airlock-sample-agent-boot-exec.jar}. */
@SpringBootApplication
public class AgentBootApplication {

  public static void main(String[] args) {
    SpringApplication.run(AgentBootApplication.class, args).close();
  }

  @Bean
  CommandLineRunner callTool(BootTools tools) {
    return args -> System.out.println("boot tool: " + tools.where("spring boot"));
  }
}
