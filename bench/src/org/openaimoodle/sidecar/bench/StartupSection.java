package org.openaimoodle.sidecar.bench;

import java.util.OptionalDouble;

/**
 * The start-up part of BENCHMARKS.md: which JVM measures mattered (plain {@code java -jar} vs our flags
 * vs flags plus the AOT cache), and where time and memory go (classes loaded, native memory by
 * category, threads).
 */
final class StartupSection {
    private static final String[] CONFIGS = {"plain", "launcher", "launcher-aot"};
    private static final String[] LABELS = {
        "`java -jar`, JDK defaults (G1, C2, JDK's CDS archive)",
        "launcher flags, no AOT cache",
        "launcher flags + AOT cache (shipped default)"};
    private static final String[] NMT_CATEGORIES = {
        "Total", "Java_Heap", "Class", "Thread", "Code", "GC", "Compiler", "Internal", "Other", "Symbol",
        "Shared_class_space", "Arena_Chunk", "Metaspace", "Native_Memory_Tracking", "Module", "Synchronizer"};

    private final Results results;

    StartupSection(Results results) {
        this.results = results;
    }

    String markdown() {
        StringBuilder md = new StringBuilder("## Start-up: which measures mattered\n\n")
                .append("The worker in HTTP mode started alone, timed from spawn to the first `GET /health` 200, ")
                .append("then RSS after 2 s idle; the three configurations interleaved, median (min–max).\n\n")
                .append("| configuration | worker start to healthy | idle RSS | threads | stdio round trip (figure 5) |\n")
                .append("|---|---|---|---|---|\n");
        for (int i = 0; i < CONFIGS.length; i++) {
            String key = "startup.http." + CONFIGS[i] + ".";
            md.append("| ").append(LABELS[i])
                    .append(" | ").append(Results.spread(results.series(key + "ms"), "ms", 1, 0))
                    .append(" | ").append(Results.spread(results.series(key + "rss_kb"), "MB", 1024, 1))
                    .append(" | ").append(Results.format(Results.median(results.series(key + "threads")), 1, 0))
                    .append(" | ").append(Report.ms(results.number("fig5." + CONFIGS[i] + ".median_ms"), 1, 0))
                    .append(" |\n");
        }
        md.append("\nThe supervised pair (`sidecarctl run` → worker healthy) without and with the AOT caches, and ")
                .append("the CLI (`sidecarctl status` with nothing running):\n\n")
                .append("| configuration | `sidecarctl run` to healthy | supervisor idle RSS | worker idle RSS | `sidecarctl status` |\n")
                .append("|---|---|---|---|---|\n")
                .append("| launcher flags, no AOT cache | ")
                .append(Results.spread(results.series("startup.supervised.launcher.ms"), "ms", 1, 0)).append(" | ")
                .append(Results.spread(results.series("startup.supervised.launcher.supervisor_rss_kb"), "MB", 1024, 1))
                .append(" | ")
                .append(Results.spread(results.series("startup.supervised.launcher.worker_rss_kb"), "MB", 1024, 1))
                .append(" | ").append(Report.ms(results.number("startup.sidecarctl_status.launcher.median_ms"), 1, 0))
                .append(" |\n| launcher flags + AOT cache | ")
                .append(Results.spread(results.series("fig4.cold_start_ms"), "ms", 1, 0)).append(" | ")
                .append(Results.spread(results.series("fig3.supervisor_idle_rss_kb"), "MB", 1024, 1)).append(" | ")
                .append(Results.spread(results.series("fig3.worker_idle_rss_kb"), "MB", 1024, 1)).append(" | ")
                .append(Report.ms(results.number("startup.sidecarctl_status.launcher-aot.median_ms"), 1, 0))
                .append(" |\n\n");
        whereItGoes(md);
        return md.toString();
    }

    private void whereItGoes(StringBuilder md) {
        md.append("## Where time and memory go\n\n")
                .append("Classes loaded (`-Xlog:class+load`) and how many came from the AOT cache:\n\n")
                .append("| process | classes loaded | from the AOT cache |\n|---|---|---|\n")
                .append("| stdio round trip, no AOT cache | ").append(results.text("where.stdio.aot_off.classes"))
                .append(" | ").append(results.text("where.stdio.aot_off.classes_from_cache")).append(" (JDK's own CDS archive) |\n")
                .append("| stdio round trip, AOT cache | ").append(results.text("where.stdio.aot_auto.classes"))
                .append(" | ").append(results.text("where.stdio.aot_auto.classes_from_cache")).append(" |\n")
                .append("| worker (HTTP), one `/ai` request served | ").append(results.text("where.worker.classes"))
                .append(" | ").append(results.text("where.worker.classes_from_cache")).append(" |\n")
                .append("| supervisor, running | ").append(results.text("where.supervisor.classes"))
                .append(" | ").append(results.text("where.supervisor.classes_from_cache")).append(" |\n\n")
                .append("Native memory committed by category (`jcmd VM.native_memory summary`, a supervised pair ")
                .append("started with `-XX:NativeMemoryTracking=summary`, 3 s idle after one `/ai` request; NMT ")
                .append("itself costs a little). RSS is lower than the NMT total where committed pages were ")
                .append("never touched, and includes what NMT does not see (the JVM binary and libraries, mapped jars).\n\n")
                .append("| category | worker | supervisor |\n|---|---|---|\n");
        for (String category : NMT_CATEGORIES) {
            OptionalDouble worker = results.number("where.worker.nmt." + category);
            OptionalDouble supervisor = results.number("where.supervisor.nmt." + category);
            if (worker.isPresent() || supervisor.isPresent()) {
                md.append("| ").append(category.replace('_', ' ')).append(" | ").append(Report.mb(worker))
                        .append(" | ").append(Report.mb(supervisor)).append(" |\n");
            }
        }
        md.append("| RSS (VmRSS) | ").append(Report.mb(results.number("where.worker.rss_kb"))).append(" | ")
                .append(Report.mb(results.number("where.supervisor.rss_kb"))).append(" |\n")
                .append("| threads | ").append(results.text("where.worker.threads")).append(" | ")
                .append(results.text("where.supervisor.threads")).append(" |\n\n");
    }
}
