package org.openaimoodle.sidecar.bench;

import java.util.List;
import java.util.OptionalDouble;

/** The sections of BENCHMARKS.md for the numbered figures, one method each. */
final class FigureSections {
    static final int[] CONNECTIONS = {1, 16, 64};
    static final String[] PATHS = {"direct", "sidecar", "v1", "portkey", "nginx"};

    private final Results results;

    FigureSections(Results results) {
        this.results = results;
    }

    /** Via − direct for one latency field ({@code p50_us}, {@code p99_us}) at one concurrency, in µs. */
    OptionalDouble added(String path, int connections, String field) {
        OptionalDouble via = results.number("fig1." + path + ".c" + connections + "." + field);
        OptionalDouble direct = results.number("fig1.direct.c" + connections + "." + field);
        return via.isPresent() && direct.isPresent()
                ? OptionalDouble.of(via.getAsDouble() - direct.getAsDouble()) : OptionalDouble.empty();
    }

    String addedLatency() {
        StringBuilder md = new StringBuilder("## 1. Added latency\n\n")
                .append("The same chat request, ").append(results.text("run.duration_s"))
                .append(" s per point with wrk (`--latency`), sent (a) directly to a fast fake upstream (nginx ")
                .append("returning a fixed Chat Completions reply), (b) through the sidecar's `POST /ai` (worker ")
                .append("alone, as under the supervisor, with its access log on), (c) through the same worker's ")
                .append("OpenAI-compatible `POST /v1/chat/completions` (path `v1`: the Chat Completions body passed on, ")
                .append("the answer passed back), (d) through the peer, Portkey's open-source AI gateway ")
                .append(results.text("tools.portkey")).append(" on Node.js ").append(results.text("tools.node"))
                .append(" (path `portkey`: the same Chat Completions body, routed to the fake by its ")
                .append("`x-portkey-provider: openai` and `x-portkey-custom-host` headers), (e) through nginx as a plain reverse ")
                .append("proxy with pooled upstream connections. Every reply is checked: `/ai` answers 200 even when ")
                .append("an action failed, so a reply without `\"success\":true` counts as failed; the others must ")
                .append("carry `\"choices\"`. Added = via − direct, same run. Latency in ms.\n\n")
                .append("| clients | path | req/s | p50 | p90 | p99 | max | failed | added p50 | added p99 |\n")
                .append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (int connections : CONNECTIONS) {
            for (String path : PATHS) {
                String key = "fig1." + path + ".c" + connections + ".";
                boolean via = !path.equals("direct");
                md.append("| ").append(connections).append(" | ").append(path)
                        .append(" | ").append(Results.format(results.number(key + "rps"), 1, 0))
                        .append(" | ").append(Results.format(results.number(key + "p50_us"), 1000, 3))
                        .append(" | ").append(Results.format(results.number(key + "p90_us"), 1000, 3))
                        .append(" | ").append(Results.format(results.number(key + "p99_us"), 1000, 3))
                        .append(" | ").append(Results.format(results.number(key + "max_us"), 1000, 1))
                        .append(" | ").append(failed(key))
                        .append(" | ").append(via ? Results.format(added(path, connections, "p50_us"), 1000, 3) : "")
                        .append(" | ").append(via ? Results.format(added(path, connections, "p99_us"), 1000, 3) : "")
                        .append(" |\n");
            }
        }
        md.append("\n![added p50 latency: sidecar /ai and /v1 vs nginx](bench/charts/added-latency.svg)\n\n")
                .append("Worker RSS during figure 1: ").append(Report.mb(results.number("fig1.worker_idle_rss_kb")))
                .append(" idle before, ").append(Report.mb(results.number("fig1.worker_rss_after_kb")))
                .append(" after the load, peak ").append(Report.mb(results.number("fig1.worker_peak_rss_kb")))
                .append(", ").append(results.text("fig1.worker_threads_after")).append(" threads after.\n\n")
                .append("Portkey gateway RSS during figure 1: ").append(Report.mb(results.number("fig1.portkey_idle_rss_kb")))
                .append(" idle before, ").append(Report.mb(results.number("fig1.portkey_rss_after_kb")))
                .append(" after the load, peak ").append(Report.mb(results.number("fig1.portkey_peak_rss_kb")))
                .append(".\n\n")
                .append("Other peers (published, not measured here): LiteLLM ~3 ms added, Bifrost ")
                .append("~0.75 ms p99 at one client.\n\n");
        return md.toString();
    }

    /**
     * Figure 1b: the sidecar's throughput at 16 clients beside its own HTTP stack with nothing else on it (the
     * framework's floor, C1 as the worker runs and C2), the worker with C2, and nginx; medians of the rounds, the
     * shares taken round by round.
     */
    String frameworkFloor() {
        StringBuilder md = new StringBuilder("## 1b. What bounds the throughput\n\n")
                .append("At 16 clients, ").append(results.text("fig1b.rounds")).append(" rounds in this run; in each ")
                .append("round every path in turn, ").append(results.text("run.duration_s")).append(" s each with wrk, ")
                .append("all of them started and warmed before the first round (8 s with C1, as the sidecar's paths ")
                .append("above; 20 s with C2, which compiles later). `helidon` is `bench/floor/HelidonFloor.java`: the ")
                .append("sidecar's own HTTP stack (Helidon SE's HTTP/1 server and HTTP/1 client, pooled upstream ")
                .append("connections) passing the body to the fast fake and its answer back with nothing else (no ")
                .append("parsing, limits, cache, usage, metrics or log), run with the worker's flags (C1 only); ")
                .append("`helidon-c2` the same with C2; `v1` the worker as shipped (alone, as in figure 1), `v1-c2` with ")
                .append("`SIDECAR_JAVA_OPTS=-XX:TieredStopAtLevel=4`; `v1-supervised` the whole sidecar as deployed, whose ")
                .append("supervisor writes every access line of the worker to the log file. wrk, nginx and the JVM share the 2 cores. Medians of the rounds; ")
                .append("the shares are taken within each round.\n\n")
                .append("| path | req/s, median (min–max) | p50 | of the nginx floor | of sidecar `/v1` (C1) |\n")
                .append("|---|---|---|---|---|\n");
        String[][] rows = {{"nginx", "nginx as a reverse proxy (the floor)"},
            {"helidon-c2", "Helidon server + client alone, C2"}, {"helidon", "Helidon server + client alone, C1"},
            {"v1-c2", "sidecar `/v1`, C2"}, {"v1", "sidecar `/v1`, C1 (shipped)"},
            {"v1-supervised", "sidecar `/v1` under its supervisor (`sidecarctl run`, as deployed), C1"}};
        int failed = 0;
        for (String[] row : rows) {
            failed += (int) results.series("fig1b." + row[0] + ".failed").stream().mapToDouble(Double::doubleValue).sum();
            md.append("| ").append(row[1]).append(" | ")
                    .append(Results.spread(results.series("fig1b." + row[0] + ".rps"), "req/s", 1, 0))
                    .append(" | ").append(Report.ms(Results.median(results.series("fig1b." + row[0] + ".p50_us")), 1000, 2))
                    .append(" | ").append(floorShare(row[0], "nginx", 100, " %"))
                    .append(" | ").append(floorShare(row[0], "v1", 1, "×")).append(" |\n");
        }
        if (failed > 0) {
            md.append("**").append(failed).append(" replies failed the check** (see bench/out/logs/wrk.log).\n\n");
        }
        md.append("\nThe worker ships with C1 only; `shell/lib/jvm-opts.sh` says what C2 costs a fresh worker (start-up, ")
                .append("the burst of figure 2, memory) and how to turn it on.\n\n");
        return md.toString();
    }

    /** @return the median over the rounds of PATH's req/s over OTHER's in the same round, times SCALE */
    String floorShare(String path, String other, double scale, String unit) {
        List<Double> shares = new java.util.ArrayList<>();
        for (int round = 1; ; round++) {
            OptionalDouble mine = results.number("fig1b." + path + ".rps." + round);
            OptionalDouble theirs = results.number("fig1b." + other + ".rps." + round);
            if (mine.isEmpty() || theirs.isEmpty()) {
                break;
            }
            shares.add(scale * mine.getAsDouble() / theirs.getAsDouble());
        }
        OptionalDouble median = Results.median(shares);
        return median.isPresent() ? Results.format(median.getAsDouble(), scale == 1 ? 2 : 0) + unit : "n/a";
    }

    static String percent(OptionalDouble part, OptionalDouble whole) {
        return part.isPresent() && whole.isPresent() && whole.getAsDouble() > 0
                ? Results.format(100 * part.getAsDouble() / whole.getAsDouble(), 0) + " %" : "n/a";
    }

    private String failed(String key) {
        OptionalDouble failed = results.number(key + "failed");
        OptionalDouble socketErrors = results.number(key + "socket_errors");
        if (failed.isEmpty()) {
            return "n/a";
        }
        String text = Results.format(failed.getAsDouble(), 0);
        return socketErrors.orElse(0) > 0 ? text + " (+" + Results.format(socketErrors.getAsDouble(), 0)
                + " socket errors)" : text;
    }

    /** @return a burst's first seven cells (requests … client p99) from the figures under {@code prefix} */
    private String burstCells(String prefix) {
        return "| " + results.text(prefix + "requests") + " | " + results.text(prefix + "peak_in_flight")
                + " | " + results.text(prefix + "successes") + " | " + results.text(prefix + "failures")
                + " | " + Report.ms(results.number(prefix + "elapsed_ms"), 1, 0)
                + " | " + Report.ms(results.number(prefix + "p50_ms"), 1, 0)
                + " | " + Report.ms(results.number(prefix + "p99_ms"), 1, 0);
    }

    String inFlight() {
        return "## 2. Concurrency at LLM latency\n\n"
                + "`bench/src/…/LoadClient.java` opens " + results.text("fig2.requests")
                + " connections at once (one virtual thread and one `POST /ai` each, like the plugin) against a fresh "
                + "worker whose upstream (the tests' `FakeUpstream`, the testkit jar run standalone) answers after 2 s. "
                + "A request is in flight from the moment it is written until its reply is read.\n\n"
                + "| requests | peak in flight | successes | failures | time to finish | client p50 | client p99 | worker idle RSS before | worker peak RSS (VmHWM) | worker RSS after | after 60 s quiet | threads after |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
                + burstCells("fig2.")
                + " | " + Report.mb(results.number("fig2.worker_idle_rss_kb"))
                + " | " + Report.mb(results.number("fig2.worker_peak_rss_kb"))
                + " | " + Report.mb(results.number("fig2.worker_rss_after_kb"))
                + " | " + Report.mb(results.number("fig2.worker_rss_quiet60_kb"))
                + " | " + results.text("fig2.worker_threads_after") + " |\n\n"
                + "The floor, measured first: the same client straight to the slow upstream (its "
                + "`/v1/chat/completions`, no sidecar); it also warms the upstream for both bursts below and above. "
                + "The upstream runs C1 only: it stands in for a remote API, and on these 2 cores its C2 compiler "
                + "competed with the worker.\n\n"
                + "| requests | peak in flight | successes | failures | time to finish | client p50 | client p99 |\n"
                + "|---|---|---|---|---|---|---|\n"
                + burstCells("fig2.direct.") + " |\n\n"
                + "The same burst through the Portkey gateway (its `/v1/chat/completions`, the same slow upstream, a "
                + "fresh gateway):\n\n"
                + "| requests | peak in flight | successes | failures | time to finish | client p50 | client p99 | gateway peak RSS (VmHWM) | gateway RSS after |\n"
                + "|---|---|---|---|---|---|---|---|---|\n"
                + burstCells("fig2.portkey.")
                + " | " + Report.mb(results.number("fig2.portkey.peak_rss_kb"))
                + " | " + Report.mb(results.number("fig2.portkey.rss_after_kb")) + " |\n\n";
    }

    /**
     * The sidecar beside the peer (Portkey's gateway) and the floor (nginx), figure by figure, with the ratios.
     * The sidecar's latency and throughput are its {@code /v1} path, which takes the very body the peer and nginx
     * take; {@code /ai} is shown beside it.
     */
    String peer() {
        StringBuilder md = new StringBuilder("## Side by side: the peer and the floor\n\n")
                .append("From the figures below, same run. Sidecar = its OpenAI-compatible `/v1/chat/completions` ")
                .append("(the same body the Portkey gateway and nginx get; `/ai`, the plugin's path, beside it); ")
                .append("peer = Portkey's gateway ").append(results.text("tools.portkey"))
                .append("; floor = nginx as a plain reverse proxy. Ratio sidecar/peer and sidecar/floor: below 1 ")
                .append("means the sidecar is lower (better for latency and memory, worse for req/s).\n\n")
                .append("| figure | sidecar `/v1` | sidecar `/ai` | Portkey | nginx floor | sidecar/peer | sidecar/floor |\n")
                .append("|---|---|---|---|---|---|---|\n");
        for (int connections : CONNECTIONS) {
            OptionalDouble v1 = added("v1", connections, "p50_us");
            OptionalDouble peer = added("portkey", connections, "p50_us");
            OptionalDouble floor = added("nginx", connections, "p50_us");
            peerRow(md, "added p50, " + connections + " client" + (connections == 1 ? "" : "s"),
                    Report.ms(v1, 1000, 2), Report.ms(added("sidecar", connections, "p50_us"), 1000, 2),
                    Report.ms(peer, 1000, 2), Report.ms(floor, 1000, 2), ratio(v1, peer), ratio(v1, floor));
        }
        for (int connections : CONNECTIONS) {
            OptionalDouble v1 = results.number("fig1.v1.c" + connections + ".rps");
            OptionalDouble peer = results.number("fig1.portkey.c" + connections + ".rps");
            OptionalDouble floor = results.number("fig1.nginx.c" + connections + ".rps");
            peerRow(md, "req/s, " + connections + " client" + (connections == 1 ? "" : "s"),
                    Results.format(v1, 1, 0), Results.format(results.number("fig1.sidecar.c" + connections + ".rps"), 1, 0),
                    Results.format(peer, 1, 0), Results.format(floor, 1, 0), ratio(v1, peer), ratio(v1, floor));
        }
        OptionalDouble burst = results.number("fig2.elapsed_ms");
        OptionalDouble peerBurst = results.number("fig2.portkey.elapsed_ms");
        peerRow(md, results.text("fig2.requests") + " requests at once, upstream 2 s: all done", "",
                Report.ms(burst, 1, 0), Report.ms(peerBurst, 1, 0), "—", ratio(burst, peerBurst), "");
        OptionalDouble idle = sum(Results.median(results.series("fig3.supervisor_idle_rss_kb")),
                Results.median(results.series("fig3.worker_idle_rss_kb")));
        OptionalDouble peerIdle = results.number("fig1.portkey_idle_rss_kb");
        peerRow(md, "idle RSS (sidecar: supervisor + worker)", "", Report.mb(idle), Report.mb(peerIdle), "—",
                ratio(idle, peerIdle), "");
        OptionalDouble idlePss = idlePss();
        OptionalDouble peerPss = results.number("fig1.portkey_idle_pss_kb");
        peerRow(md, "idle PSS (pages shared between processes counted once; sidecar: supervisor + worker)", "",
                Report.mb(idlePss), Report.mb(peerPss), "—", ratio(idlePss, peerPss), "");
        OptionalDouble after = sum(Results.median(results.series("fig3.supervisor_idle_rss_kb")),
                results.number("fig1.worker_rss_after_kb"));
        OptionalDouble peerAfter = results.number("fig1.portkey_rss_after_kb");
        peerRow(md, "RSS after the figure 1 load (sidecar: supervisor idle + worker)", "", Report.mb(after),
                Report.mb(peerAfter), "—", ratio(after, peerAfter), "");
        return md.append('\n').toString();
    }

    /** @return the median idle PSS of the supervisor plus the worker's, figure 3 */
    OptionalDouble idlePss() {
        return sum(Results.median(results.series("fig3.supervisor_idle_pss_kb")),
                Results.median(results.series("fig3.worker_idle_pss_kb")));
    }

    private static void peerRow(StringBuilder md, String figure, String v1, String ai, String peer, String floor,
                                String toPeer, String toFloor) {
        md.append("| ").append(figure).append(" | ").append(v1).append(" | ").append(ai).append(" | ").append(peer)
                .append(" | ").append(floor).append(" | ").append(toPeer).append(" | ").append(toFloor).append(" |\n");
    }

    private static String ratio(OptionalDouble sidecar, OptionalDouble other) {
        return sidecar.isPresent() && other.isPresent() && other.getAsDouble() > 0
                ? Results.format(sidecar.getAsDouble() / other.getAsDouble(), 2) + "×" : "n/a";
    }

    static OptionalDouble sum(OptionalDouble a, OptionalDouble b) {
        return a.isPresent() && b.isPresent() ? OptionalDouble.of(a.getAsDouble() + b.getAsDouble()) : OptionalDouble.empty();
    }

    String footprint() {
        return "## 3. Footprint\n\n"
                + "Resident set (VmRSS) after " + results.text("fig3.idle_s") + " s idle (by then the JVM has given back "
                + "what start-up freed), each of " + results.series("fig4.cold_start_ms").size()
                + " fresh `sidecarctl run` starts (own run dir, log file and port); the worker is the "
                + "supervisor's child. After load: the worker of figure 1 and of figure 2. The rest of RSS is "
                + "file-backed: mostly the mapped AOT cache and the JVM's own library, shared with the page cache. "
                + "PSS (`/proc/PID/smaps_rollup`) divides a page shared by several processes among them: the two "
                + "JVMs map the same `libjvm.so` and JDK files, which RSS counts in each.\n\n"
                + "| process | idle RSS, median (min–max) | of which anonymous (RssAnon) | idle PSS | threads | after figure 1 load | peak in figure 2 |\n"
                + "|---|---|---|---|---|---|---|\n"
                + "| supervisor | " + Results.spread(results.series("fig3.supervisor_idle_rss_kb"), "MB", 1024, 1)
                + " | " + Report.mb(Results.median(results.series("fig3.supervisor_idle_anon_kb")))
                + " | " + Report.mb(Results.median(results.series("fig3.supervisor_idle_pss_kb")))
                + " | " + Results.format(Results.median(results.series("fig3.supervisor_threads")), 1, 0)
                + " | | |\n"
                + "| worker | " + Results.spread(results.series("fig3.worker_idle_rss_kb"), "MB", 1024, 1)
                + " | " + Report.mb(Results.median(results.series("fig3.worker_idle_anon_kb")))
                + " | " + Report.mb(Results.median(results.series("fig3.worker_idle_pss_kb")))
                + " | " + Results.format(Results.median(results.series("fig3.worker_threads")), 1, 0)
                + " | " + Report.mb(results.number("fig1.worker_rss_after_kb"))
                + " | " + Report.mb(results.number("fig2.worker_peak_rss_kb")) + " |\n\n";
    }

    String recovery() {
        List<Double> crashes = results.series("fig4.crash_ms");
        StringBuilder md = new StringBuilder("## 4. Recovery\n\n")
                .append("Timed by `HealthWatch` (its clock starts right before the event; it probes `GET /health` ")
                .append("every 2 ms with a 250 ms timeout, since a stopped worker still accepts connections). ")
                .append("Cold start: from spawning `sidecarctl run` (two JVMs: supervisor, then worker) to the first ")
                .append("200; page cache warm. Crash: `kill -9` of the worker of a freshly started supervisor, so the ")
                .append("first restart's backoff applies. Hang: `SIGSTOP` of the worker, default health settings.\n\n")
                .append("| event | median (min–max) | every run (ms) | target |\n|---|---|---|---|\n")
                .append("| cold start to healthy | ").append(Results.spread(results.series("fig4.cold_start_ms"), "ms", 1, 0))
                .append(" | ").append(list(results.series("fig4.cold_start_ms"))).append(" | ≤ 300 ms |\n")
                .append("| kill -9 to healthy (new pid) | ").append(Results.spread(crashes, "ms", 1, 0))
                .append(" | ").append(list(crashes)).append(" | ≤ 1 s |\n")
                .append("| SIGSTOP to healthy | ").append(Report.ms(results.number("fig4.hang_ms"), 1, 0))
                .append(" | ").append(results.text("fig4.hang_ms")).append(" | ≤ 10 s |\n\n");
        int failedStarts = results.failedRuns("fig4.cold_start_ms") + results.failedRuns("fig4.crash_ms");
        if (failedStarts > 0) {
            md.append("**").append(failedStarts).append(" run(s) never became healthy in time** (see bench/out/logs).\n\n");
        }
        if (!results.text("fig4.hang_old_worker_left").equals("n/a")) {
            md.append("**The stopped worker was still there after recovery** (the harness killed it).\n\n");
        }
        return md.toString();
    }

    String stdio() {
        return "## 5. stdio fallback\n\n"
                + "A cold round trip as the plugin's fallback does it: spawn the launcher, one JSON line on stdin "
                + "(against the fast fake upstream), one reply on stdout, exit. hyperfine, 2 warm-up runs and 10 "
                + "measured runs each. Reply of the sample run: `" + results.text("fig5.sample_reply") + "`.\n\n"
                + "| configuration | median | mean ± σ | min–max |\n|---|---|---|---|\n"
                + stdioRow("plain", "`java -jar` with JDK defaults")
                + stdioRow("launcher", "launcher flags, no AOT cache")
                + stdioRow("launcher-aot", "launcher flags + AOT cache (shipped default)")
                + "\n";
    }

    String firstEvent() {
        String key = "fig6.";
        StringBuilder md = new StringBuilder("## 6. Time to first event of a stream\n\n")
                .append("`bench/src/…/FirstEventClient.java` sends ").append(results.text(key + "pairs"))
                .append(" streaming Chat Completions requests (`\"stream\": true`) one at a time to each side, ")
                .append("alternating: (a) directly to the tests' `FakeUpstream` (the testkit jar run standalone with ")
                .append("`--stream`: a role chunk, three text chunks, the finish and usage chunks and `[DONE]`, 5 ms ")
                .append("before each event), (b) through the sidecar's `POST /v1/chat/completions` (worker alone, ")
                .append("its upstream that fake), after ").append(results.text(key + "warmup_pairs"))
                .append(" warm-up pairs. Each is timed from opening its ")
                .append("connection to the first byte of its first `data:` event, and read to `data: [DONE]`; one ")
                .append("that is not a complete 200 stream counts as failed. Added = the median (and p90) of the ")
                .append("per-pair differences via − direct, so that a slow spell of the machine hits both sides of ")
                .append("a pair. Times in ms.\n\n")
                .append("| path | p50 | p90 | added p50 | added p90 |\n|---|---|---|---|---|\n")
                .append("| direct | ").append(Results.format(results.number(key + "direct_p50_us"), 1000, 3))
                .append(" | ").append(Results.format(results.number(key + "direct_p90_us"), 1000, 3))
                .append(" | | |\n")
                .append("| sidecar `/v1` | ").append(Results.format(results.number(key + "via_p50_us"), 1000, 3))
                .append(" | ").append(Results.format(results.number(key + "via_p90_us"), 1000, 3))
                .append(" | ").append(Results.format(addedSigned(key + "added_p50_us"), 1000, 3))
                .append(" | ").append(Results.format(addedSigned(key + "added_p90_us"), 1000, 3))
                .append(" |\n\n")
                .append("Streams measured: ").append(results.text(key + "measured")).append(" pairs, ")
                .append(results.text(key + "failed")).append(" failed.\n\n");
        return md.toString();
    }

    /** A difference may come out negative in noise; {@link Results#number} reads negatives as missing. */
    OptionalDouble addedSigned(String key) {
        String text = results.text(key);
        try {
            return OptionalDouble.of(Double.parseDouble(text));
        } catch (NumberFormatException e) {
            return OptionalDouble.empty();
        }
    }

    private String stdioRow(String name, String label) {
        String key = "fig5." + name + ".";
        return "| " + label + " | " + Report.ms(results.number(key + "median_ms"), 1, 0)
                + " | " + Results.format(results.number(key + "mean_ms"), 1, 0) + " ± "
                + Results.format(results.number(key + "stddev_ms"), 1, 0) + " ms"
                + " | " + Results.format(results.number(key + "min_ms"), 1, 0) + "–"
                + Results.format(results.number(key + "max_ms"), 1, 0) + " ms |\n";
    }

    private static String list(List<Double> series) {
        return String.join(", ", series.stream().map(value -> Results.format(value, 0)).toList());
    }
}
