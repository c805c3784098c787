package dev.airlock.samples.springboot;

import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The tools as REST endpoints, the way an agent runtime would reach them. */
@RestController
@RequestMapping("/tools")
public class ToolController {
  private final JavaTool javaTool;

  public ToolController(JavaTool javaTool) {
    this.javaTool = javaTool;
  }

  @PostMapping(path = "/run-java", consumes = "text/plain")
  public JavaTool.RunResult runJava(@RequestBody String snippet) {
    return javaTool.runJava(snippet);
  }
}
