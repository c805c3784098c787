package dev.airlock.samples.springboot;

import dev.airlock.AirlockApprovals;
import dev.airlock.AirlockBlockedException;
import dev.airlock.ApprovalDecision;
import dev.airlock.ApprovalRequest;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Where a person decides the calls awaiting approval, from a browser or curl. In a real application these endpoints
 * sit behind authentication and the approver is the signed-in user, not a field of the request.
 *
 * <pre>
 * curl localhost:8080/approvals
 * curl -H 'Content-Type: application/json' -d '{"approver":"alice","approve":true}' localhost:8080/approvals/ID
 * curl -H 'Content-Type: application/json' -d '{"approver":"alice","approve":false,"reason":"not now"}' ...
 * </pre>
 */
@RestController
@RequestMapping("/approvals")
public class ApprovalController {
  private final AirlockApprovals approvals;

  public ApprovalController(AirlockApprovals approvals) {
    this.approvals = approvals;
  }

  /** A decision: approve or deny (with a reason the model reads), optionally with edited arguments. */
  public record Decision(String approver, boolean approve, String reason, List<Object> arguments) {
    ApprovalDecision toDecision() {
      if (!approve) {
        return ApprovalDecision.deny(approver, reason == null ? "denied" : reason);
      }
      return arguments == null ? ApprovalDecision.approve(approver)
          : ApprovalDecision.approveWithArguments(approver, arguments.toArray());
    }
  }

  @GetMapping
  public List<ApprovalRequest> pending() {
    return approvals.pending();
  }

  @PostMapping(path = "/{id}", consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  public ResponseEntity<Object> decide(@PathVariable("id") String id, @RequestBody Decision decision) {
    ApprovalDecision answer;
    try {
      answer = decision.toDecision();
    } catch (IllegalArgumentException e) {
      return ResponseEntity.badRequest().body(Map.of("error", e.getMessage()));
    }
    try {
      return ResponseEntity.ok(Map.of("callId", id, "result", String.valueOf(approvals.resume(id, answer))));
    } catch (AirlockBlockedException e) {
      return ResponseEntity.status(HttpStatus.FORBIDDEN).body(e.toModelMessage());
    } catch (IllegalArgumentException e) {
      return ResponseEntity.status(HttpStatus.NOT_FOUND).body(Map.of("error", e.getMessage()));
    } catch (Throwable t) {
      return ResponseEntity.status(HttpStatus.BAD_GATEWAY).body(Map.of("error", t.getClass().getSimpleName()));
    }
  }
}
