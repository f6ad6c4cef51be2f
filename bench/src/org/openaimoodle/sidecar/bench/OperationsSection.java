package org.openaimoodle.sidecar.bench;

/** Figure 6 (bench/operations.sh): a restart under load, crash recovery after 10 s of health, status time. */
final class OperationsSection {
    private final Results results;

    OperationsSection(Results results) {
        this.results = results;
    }

    String markdown() {
        String failure = results.text("ops.restart.first_failure");
        return "## 7. Operations\n\n"
                + "`sidecarctl restart` while 8 clients send POST /ai back to back (half on keep-alive connections, "
                + "half a new connection per request, as the plugin's curl does), plain sockets that never retry; "
                + "then `kill -9` of a worker healthy for 10 s; then `sidecarctl status` (hyperfine, 10 runs). "
                + "Load average during the figure: " + results.text("ops.loadavg") + ".\n\n"
                + "| figure | target | measured |\n|---|---|---|\n"
                + "| failed requests during the restart | 0 | " + results.text("ops.restart.failed") + " of "
                + results.text("ops.restart.sent") + " (restart exit " + results.text("ops.restart.exit") + ", "
                + results.text("ops.restart.command_ms") + " ms)" + (failure.isEmpty() || failure.equals("n/a") ? ""
                : "; first: " + failure.replace('_', ' ').replace('|', '/')) + " |\n"
                + "| kill -9 to healthy (healthy 10 s before) | ≤ 1 s | "
                + Results.spread(results.series("ops.crash_ms"), "ms", 1, 0) + " |\n"
                + "| `sidecarctl status` | ≤ 150 ms | " + Report.ms(results.number("ops.status.median_ms"), 1, 0)
                + " |\n\n";
    }
}
