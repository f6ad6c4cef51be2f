package org.openaimoodle.sidecar.worker.stdio;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.openaimoodle.sidecar.worker.action.ActionService;
import org.openaimoodle.sidecar.worker.action.Outcome;
import org.openaimoodle.sidecar.worker.http.ReplyStatus;
import org.openaimoodle.sidecar.worker.log.AccessLog;

/**
 * stdio mode, as the plugin's fallback spawns it: one JSON request per stdin line, one compact JSON reply
 * per non-blank line on stdout (and nothing else there), blank lines skipped, exit 0 at end of input.
 */
public final class StdioMode {
    private StdioMode() {
    }

    /**
     * @param service the action service
     * @param in      requests
     * @param out     replies
     * @return the exit code: 0 at end of input
     * @throws IOException when stdin cannot be read
     */
    public static int run(ActionService service, InputStream in, OutputStream out) throws IOException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        PrintStream replies = new PrintStream(out, false, StandardCharsets.UTF_8);
        String line;
        while ((line = lines.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            long start = System.nanoTime();
            Outcome outcome = service.handle(line.getBytes(StandardCharsets.UTF_8));
            replies.writeBytes(outcome.reply().toJson());
            replies.write('\n');
            replies.flush();
            AccessLog.record(outcome.action(), outcome.userId(), outcome.reply().outcome(),
                    ReplyStatus.of(outcome.reply()),
                    (System.nanoTime() - start) / 1_000_000);
        }
        return 0;
    }
}
