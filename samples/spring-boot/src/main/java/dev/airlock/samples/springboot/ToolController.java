package dev.airlock.samples.springboot;

import dev.airlock.AirlockApprovalRequiredException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The tools as REST endpoints, the way an agent runtime would reach them. */
@RestController
@RequestMapping("/tools")
public class ToolController {
  private final JavaTool javaTool;
  private final MailTool mailTool;

  public ToolController(JavaTool javaTool, MailTool mailTool) {
    this.javaTool = javaTool;
    this.mailTool = mailTool;
  }

  @PostMapping(path = "/run-java", consumes = "text/plain")
  public JavaTool.RunResult runJava(@RequestBody String snippet) {
    return javaTool.runJava(snippet);
  }

  /** 202 with {@code "awaiting approval"} and the call id until a person approves at {@code /approvals/{id}}. */
  @PostMapping(path = "/send-mail", produces = "application/json")
  public ResponseEntity<String> sendMail(@RequestParam("to") String to, @RequestParam("subject") String subject) {
    try {
      return ResponseEntity.ok(mailTool.sendMail(to, subject));
    } catch (AirlockApprovalRequiredException e) {
      return ResponseEntity.status(HttpStatus.ACCEPTED).body(e.toModelMessage());
    }
  }
}
