package org.openaimoodle.sidecar.worker.stdio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.openaimoodle.sidecar.worker.action.ActionService;
import org.openaimoodle.sidecar.worker.action.ErrorCode;
import org.openaimoodle.sidecar.worker.action.Outcome;
import org.openaimoodle.sidecar.worker.action.Reply;
import org.openaimoodle.sidecar.worker.http.ReplyStatus;
import org.openaimoodle.sidecar.worker.log.AccessLog;
import org.openaimoodle.sidecar.worker.upstream.Usage;

/**
 * stdio mode, as the plugin's fallback spawns it: one JSON request per stdin line, one compact JSON reply
 * per non-blank line on stdout (and nothing else there), blank lines skipped, exit 0 at end of input.
 * A line is bounded like an HTTP body ({@code SIDECAR_MAX_BODY_BYTES}): the plugin falls back to stdio with
 * the very request HTTP refused as too large, and it must get {@code payload_too_large} here too.
 */
public final class StdioMode {
    private StdioMode() {
    }

    /**
     * @param service      the action service
     * @param in           requests
     * @param out          replies
     * @param maxLineBytes longest request line ({@code SIDECAR_MAX_BODY_BYTES})
     * @return the exit code: 0 at end of input
     * @throws IOException when stdin cannot be read
     */
    public static int run(ActionService service, InputStream in, OutputStream out, int maxLineBytes)
            throws IOException {
        RequestLines lines = new RequestLines(in, maxLineBytes);
        PrintStream replies = new PrintStream(out, false, StandardCharsets.UTF_8);
        RequestLines.Line line;
        while ((line = lines.next()) != null) {
            if (line.isBlank()) {
                continue;
            }
            long start = System.nanoTime();
            Outcome outcome;
            if (line.tooLong()) {
                outcome = Outcome.uncached(null, null, Reply.failure(ErrorCode.PAYLOAD_TOO_LARGE, "Request line is "
                        + "larger than " + maxLineBytes + " bytes (SIDECAR_MAX_BODY_BYTES); send less"),
                        Usage.UNKNOWN);
            } else {
                outcome = service.handle(line.bytes());
            }
            replies.writeBytes(outcome.reply().toJson());
            replies.write('\n');
            replies.flush();
            AccessLog.record("stdio", outcome.action(), outcome.userId(), outcome.action() == null ? null
                            : service.model(), outcome.reply().outcome(),
                    ReplyStatus.of(outcome.reply()),
                    (System.nanoTime() - start) / 1_000_000, outcome.usage(), outcome.cached());
        }
        return 0;
    }
}
