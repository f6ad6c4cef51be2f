package org.openaimoodle.sidecar.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;

/**
 * Writes BENCHMARKS.md (and its chart) from the raw figures of one run.
 *
 * <p>Usage: {@code Report RESULTS_FILE BENCHMARKS_MD CHART_DIR}. The targets are the project's performance
 * targets; the peer (Portkey's gateway) and the floor (nginx) are measured in the same run as the sidecar; other
 * peers' numbers are their own published claims.
 */
public final class Report {
    private final Results results;

    private Report(Results results) {
        this.results = results;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: Report RESULTS_FILE BENCHMARKS_MD CHART_DIR");
            System.exit(2);
        }
        Results results = Results.read(Path.of(args[0]));
        Path chartDir = Path.of(args[2]);
        Files.createDirectories(chartDir);
        Files.writeString(chartDir.resolve("added-latency.svg"), new LatencyChart(results).svg());
        Path report = Path.of(args[1]);
        Files.writeString(report, new Report(results).markdown() + handMeasured(report));
    }

    /** Marks where BENCHMARKS.md's hand-measured part begins: a run rewrites what is above it and keeps the rest. */
    static final String HAND_MEASURED = "<!-- bench/run.sh keeps everything below this line: measured by hand. -->";

    /** @return the hand-measured part of the existing report, from its marker on, or nothing */
    private static String handMeasured(Path report) throws IOException {
        if (!Files.exists(report)) {
            return "";
        }
        String existing = Files.readString(report);
        int at = existing.indexOf(HAND_MEASURED);
        return at < 0 ? "" : "\n" + existing.substring(at);
    }

    private String markdown() {
        FigureSections figures = new FigureSections(results);
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n")
                .append("Written by `bench/run.sh` (see README.md, section Performance) on ")
                .append(results.text("run.date")).append(", commit `").append(results.text("run.commit"))
                .append("`").append(results.text("run.uncommitted").equals("n/a") ? ""
                        : " plus uncommitted changes to " + results.text("run.uncommitted"))
                .append(". Every figure below comes from that one run on this machine; traffic went to ")
                .append("127.0.0.1 only. The peer, Portkey's open-source AI gateway, and the floor, nginx, are ")
                .append("measured side by side with the sidecar; other peers' numbers are their own published claims.\n\n");
        summary(md, figures);
        md.append(figures.peer());
        machine(md);
        md.append(figures.addedLatency());
        md.append(figures.frameworkFloor());
        md.append(figures.inFlight());
        md.append(figures.footprint());
        md.append(figures.recovery());
        md.append(figures.stdio());
        md.append(figures.firstEvent());
        md.append(new OperationsSection(results).markdown());
        md.append(new StartupSection(results).markdown());
        return md.toString();
    }

    private void summary(StringBuilder md, FigureSections figures) {
        OptionalDouble addedP50 = figures.added("sidecar", 16, "p50_us");
        OptionalDouble addedP99 = figures.added("sidecar", 16, "p99_us");
        OptionalDouble nginxP50 = figures.added("nginx", 16, "p50_us");
        OptionalDouble nginxP99 = figures.added("nginx", 16, "p99_us");
        OptionalDouble successes = results.number("fig2.successes");
        OptionalDouble failures = results.number("fig2.failures");
        OptionalDouble peak = results.number("fig2.peak_in_flight");
        OptionalDouble fig2Rss = results.number("fig2.worker_peak_rss_kb");
        OptionalDouble supervisorRss = Results.median(results.series("fig3.supervisor_idle_rss_kb"));
        OptionalDouble workerRss = Results.median(results.series("fig3.worker_idle_rss_kb"));
        OptionalDouble coldStart = Results.median(results.series("fig4.cold_start_ms"));
        OptionalDouble crash = Results.median(results.series("fig4.crash_ms"));
        OptionalDouble hang = results.number("fig4.hang_ms");
        OptionalDouble stdio = results.number("fig5.launcher-aot.median_ms");
        OptionalDouble status = results.number("startup.sidecarctl_hot.status.median_ms");
        OptionalDouble check = results.number("startup.sidecarctl_hot.check-no-repair.median_ms");
        OptionalDouble v1P50 = figures.added("v1", 16, "p50_us");
        OptionalDouble firstEvent = figures.addedSigned("fig6.added_p50_us");

        md.append("## Summary\n\n")
                .append("| figure | target | measured | met | peers and the original (published) |\n")
                .append("|---|---|---|---|---|\n");
        row(md, "added latency at 16 clients, p50", "≤ 0.5 ms", ms(addedP50, 1000, 2), atMost(addedP50, 500),
                "nginx (measured here): " + ms(nginxP50, 1000, 2) + "; Portkey (measured here): "
                        + ms(figures.added("portkey", 16, "p50_us"), 1000, 2) + "; LiteLLM ~3 ms (published)");
        row(md, "added latency at 16 clients, p99", "≤ 2 ms", ms(addedP99, 1000, 2), atMost(addedP99, 2000),
                "nginx (measured here): " + ms(nginxP99, 1000, 2) + "; Portkey (measured here): "
                        + ms(figures.added("portkey", 16, "p99_us"), 1000, 2) + "; Bifrost ~0.75 ms p99 (at 1 client)");
        row(md, "added latency of `/v1/chat/completions` at 16 clients, p50", "≤ 0.5 ms", ms(v1P50, 1000, 2),
                atMost(v1P50, 500), "`/ai` (measured here): " + ms(addedP50, 1000, 2));
        row(md, "stream: added delay to the first event, p50 (paired)", "a few ms (≤ 5 ms)", ms(firstEvent, 1000, 2),
                atMost(firstEvent, 5000), "");
        boolean inFlightMet = peak.orElse(0) >= 2000 && failures.isPresent() && failures.getAsDouble() == 0
                && fig2Rss.isPresent() && fig2Rss.getAsDouble() <= 256 * 1024;
        row(md, "requests in flight at 2 s upstream latency", "≥ 2,000, zero errors, worker RSS ≤ 256 MB",
                Results.format(peak, 1, 0) + " in flight, " + Results.format(successes, 1, 0) + " ok, "
                        + Results.format(failures, 1, 0) + " failed, peak RSS " + mb(fig2Rss),
                verdict(peak.isPresent() ? inFlightMet : null), "original: \"handles multiple concurrent requests efficiently\"");
        row(md, "idle RSS, supervisor", "≤ 32 MB", mb(supervisorRss), atMost(supervisorRss, 32 * 1024),
                "original (one process): ~5–10 MB");
        row(md, "idle RSS, worker", "≤ 64 MB", mb(workerRss), atMost(workerRss, 64 * 1024), "");
        OptionalDouble bothRss = FigureSections.sum(supervisorRss, workerRss);
        OptionalDouble peerRss = results.number("fig1.portkey_idle_rss_kb");
        row(md, "idle RSS, supervisor + worker", "below the peer's", mb(bothRss),
                verdict(bothRss.isPresent() && peerRss.isPresent() ? bothRss.getAsDouble() < peerRss.getAsDouble() : null),
                "Portkey (measured here): " + mb(peerRss) + "; PSS (shared pages counted once): sidecar "
                        + mb(figures.idlePss()) + ", Portkey " + mb(results.number("fig1.portkey_idle_pss_kb")));
        OptionalDouble v1Rps = results.number("fig1.v1.c16.rps");
        OptionalDouble nginxRps = results.number("fig1.nginx.c16.rps");
        row(md, "req/s at 16 clients (`/v1`), share of the nginx floor", "≥ 50 %",
                Results.format(v1Rps, 1, 0) + " (" + FigureSections.percent(v1Rps, nginxRps) + ")",
                verdict(v1Rps.isPresent() && nginxRps.isPresent() ? v1Rps.getAsDouble() >= nginxRps.getAsDouble() / 2 : null),
                "Helidon server + client alone (figure 1b): C1 " + figures.floorShare("helidon", "nginx", 100, " %")
                        + ", C2 " + figures.floorShare("helidon-c2", "nginx", 100, " %") + "; the sidecar with C2: "
                        + figures.floorShare("v1-c2", "nginx", 100, " %") + "; Portkey (measured here): " + FigureSections.percent(results.number("fig1.portkey.c16.rps"), nginxRps));
        OptionalDouble burst = results.number("fig2.elapsed_ms");
        row(md, "burst of " + results.text("fig2.requests") + " at 2 s upstream latency: all done", "≤ 2.5 s",
                ms(burst, 1, 0), atMost(burst, 2500), "floor (the same client straight to the upstream): "
                        + ms(results.number("fig2.direct.elapsed_ms"), 1, 0) + "; Portkey (measured here): "
                        + ms(results.number("fig2.portkey.elapsed_ms"), 1, 0));
        OptionalDouble burstIdle = results.number("fig2.worker_idle_rss_kb");
        OptionalDouble quiet = results.number("fig2.worker_rss_quiet60_kb");
        OptionalDouble keptAfterQuiet = burstIdle.isPresent() && quiet.isPresent()
                ? OptionalDouble.of(quiet.getAsDouble() - burstIdle.getAsDouble()) : OptionalDouble.empty();
        row(md, "memory given back: worker RSS 60 s after the burst of figure 2, above its idle RSS", "≤ 32 MB",
                mb(keptAfterQuiet) + " (" + mb(quiet) + " vs " + mb(burstIdle) + " idle)", atMost(keptAfterQuiet, 32 * 1024),
                "Portkey after its burst: " + mb(results.number("fig2.portkey.rss_after_kb")));
        row(md, "cold start to healthy (`sidecarctl run`)", "≤ 300 ms", ms(coldStart, 1, 0), atMost(coldStart, 300), "");
        OptionalDouble crashAfterHealth = Results.median(results.series("ops.crash_ms"));
        row(md, "crash (`kill -9` of a worker healthy for 10 s) to healthy (figure 7)", "≤ 1 s",
                ms(crashAfterHealth, 1, 0), atMost(crashAfterHealth, 1000), "");
        row(md, "crash of a freshly started worker (its first restart waits the 0.5 s backoff) to healthy", "",
                ms(crash, 1, 0), "", "");
        OptionalDouble restartFailed = results.number("ops.restart.failed");
        row(md, "failed requests during `sidecarctl restart` under load (8 clients, figure 7)", "0",
                Results.format(restartFailed, 1, 0) + " of " + results.text("ops.restart.sent"),
                verdict(restartFailed.isPresent() ? restartFailed.getAsDouble() == 0 : null), "");
        row(md, "hang (`SIGSTOP` worker) to healthy, defaults", "≤ 10 s", ms(hang, 1, 0), atMost(hang, 10_000), "");
        row(md, "stdio cold round trip, median", "≤ 150 ms", ms(stdio, 1, 0), atMost(stdio, 150),
                "original: ~50 ms responses");
        row(md, "`sidecarctl status`, supervisor running, median (`bench/sidecarctl.sh`)", "≤ 150 ms",
                ms(status, 1, 0), atMost(status, 150), "");
        row(md, "`sidecarctl check --no-repair`, healthy, median", "≤ 150 ms", ms(check, 1, 0), atMost(check, 150), "");
        md.append("\nMedians where a figure was repeated; the sections below give every run, the spread and ")
                .append("the reasons where a target is missed.\n\n");
    }

    private void machine(StringBuilder md) {
        md.append("## Machine, JDK and flags\n\n")
                .append("| | |\n|---|---|\n")
                .append("| CPU | ").append(results.text("machine.nproc")).append(" cores, ")
                .append(results.text("machine.cpu")).append(" |\n")
                .append("| memory | ").append(results.text("machine.memory")).append(" (`free -h`) |\n")
                .append("| kernel | ").append(results.text("machine.kernel")).append(" |\n")
                .append("| JDK | ").append(results.text("machine.jdk")).append(" |\n")
                .append("| load average at the end of the run (1, 5, 15 min) | ").append(results.text("run.loadavg_end"))
                .append(" (2 cores: above 2 means other processes competed with the benchmark) |\n")
                .append("| tools | wrk ").append(results.text("tools.wrk")).append(", nginx ")
                .append(results.text("tools.nginx")).append(", ").append(results.text("tools.hyperfine"))
                .append(", Node.js ").append(results.text("tools.node")).append(", Portkey gateway ")
                .append(results.text("tools.portkey")).append(" |\n")
                .append("| AOT caches | worker-http ").append(results.text("aot.worker-http"))
                .append(", worker-stdio ").append(results.text("aot.worker-stdio"))
                .append(", supervisor ").append(results.text("aot.supervisor"))
                .append(", supervisor-status ").append(results.text("aot.supervisor-status"))
                .append(", supervisor-check ").append(results.text("aot.supervisor-check")).append(" |\n")
                .append("| layout | installed (`bin/`, `lib/worker/`, `lib/supervisor/`, as in the image), copied ")
                .append("to `bench/out/home` after the build |\n\n")
                .append("JVM flags per role, as `shell/lib/jvm-opts.sh` gave them in this run:\n\n");
        for (String role : new String[] {"worker-http", "worker-stdio", "supervisor"}) {
            md.append("- ").append(role).append(": `").append(results.text("flags." + role)).append("`\n");
        }
        md.append("\nThe machine is shared and noisy (2 cores; wrk, nginx and the JVMs compete for them), so ")
                .append("load figures are the honest numbers of a small box, not of a tuned server.\n\n");
    }

    private static void row(StringBuilder md, String figure, String target, String measured, String met, String peers) {
        md.append("| ").append(figure).append(" | ").append(target).append(" | ").append(measured).append(" | ")
                .append(met).append(" | ").append(peers).append(" |\n");
    }

    private static String atMost(OptionalDouble value, double limit) {
        return verdict(value.isPresent() ? value.getAsDouble() <= limit : null);
    }

    private static String verdict(Boolean met) {
        return met == null ? "n/a" : met ? "yes" : "**no**";
    }

    static String ms(OptionalDouble value, double scale, int decimals) {
        return value.isPresent() ? Results.format(value.getAsDouble() / scale, decimals) + " ms" : "n/a";
    }

    static String mb(OptionalDouble kilobytes) {
        return kilobytes.isPresent() ? Results.format(kilobytes.getAsDouble() / 1024, 1) + " MB" : "n/a";
    }
}
