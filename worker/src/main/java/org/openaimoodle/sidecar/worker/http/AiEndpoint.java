package org.openaimoodle.sidecar.worker.http;

import java.io.IOException;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import org.openaimoodle.sidecar.worker.action.ActionService;
import org.openaimoodle.sidecar.worker.action.Outcome;
import org.openaimoodle.sidecar.worker.action.Reply;
import org.openaimoodle.sidecar.worker.log.AccessLog;
import org.openaimoodle.sidecar.worker.upstream.Usage;

/**
 * {@code POST /ai}: the HTTP face of {@link ActionService}, behind the checks every request passes
 * ({@link Intake}: token, Content-Type, gate, body limit), with one access line per request whatever its fate.
 */
final class AiEndpoint implements HttpService {
    private final ActionService service;
    private final Intake intake;

    AiEndpoint(ActionService service, Intake intake) {
        this.service = service;
        this.intake = intake;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/ai", this::ai)
                .any("/ai", (req, res) -> RoutingErrors.methodNotAllowed(res, "POST", "/ai"));
    }

    private void ai(ServerRequest req, ServerResponse res) throws IOException {
        long start = System.nanoTime();
        intake.post(req, res,
                (r, status, code, message) -> answer(r, start, null, status, Reply.failure(code, message)),
                body -> {
                    Outcome outcome = service.handle(body);
                    answer(res, start, outcome, ReplyStatus.of(outcome.reply()), outcome.reply());
                });
    }

    private void answer(ServerResponse res, long start, Outcome outcome, int status, Reply reply) {
        if (status == 503) {
            JsonReplies.sendRetryLater(res, reply.toJson()); // no memory for the answer: a retry soon may fit
        } else {
            JsonReplies.send(res, status, reply.toJson());
        }
        AccessLog.record("ai", outcome == null ? null : outcome.action(), outcome == null ? null : outcome.userId(),
                outcome == null ? null : service.model(), reply.outcome(), status, (System.nanoTime() - start) / 1_000_000,
                outcome == null ? Usage.UNKNOWN : outcome.usage(), outcome != null && outcome.cached());
    }
}
