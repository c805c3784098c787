package dev.airlock.internal.cloud;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;

/**
 * The HTTP interface between the host and the worker bridge in a sandbox. Cloud sandboxes proxy only HTTP to their
 * ports, so the worker's frame stream travels as one request per call: the host POSTs the INVOKE frame, the bridge
 * streams back the worker's frames up to the call's RESULT or ERROR.
 *
 * <pre>
 * GET    /health                  200 {"status":"ok","claimed":bool}        no token needed
 * POST   /classpath               {"entries":[Entry]} → 200 {"missing":[hash]}
 * POST   /workers                 StartWorker → 201, body = the worker's HELLO frame, header Airlock-Worker
 * POST   /workers/{id}/frames     frames → 200 chunked worker frames up to RESULT/ERROR (204 when none expected)
 * GET    /workers/{id}            200 WorkerState
 * DELETE /workers/{id}            204, or 404 when unknown
 * </pre>
 * Everything but /health needs {@code Authorization: Bearer <token>}, the token the host wrote into the sandbox.
 */
final class BridgeProtocol {
  static final String WORKER_HEADER = "Airlock-Worker";
  static final String TOKEN_FILE = "token";
  static final String FRAMES = "application/x-airlock-frames";
  static final int MAX_JSON_BYTES = 1024 * 1024;
  static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private BridgeProtocol() {
  }

  record ClasspathQuery(List<ClasspathEntry> entries) {
  }

  record Missing(List<String> missing) {
  }

  record StartWorker(List<ClasspathEntry> entries, int memoryMb, long startTimeoutMillis) {
  }

  record WorkerState(boolean alive, String exit, String resourceLimit) {
  }

  record Problem(String message) {
  }
}
