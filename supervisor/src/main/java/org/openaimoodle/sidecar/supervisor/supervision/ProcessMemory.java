package org.openaimoodle.sidecar.supervisor.supervision;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** A process's resident memory, from Linux's {@code /proc/<pid>/status}. */
public final class ProcessMemory {
    private ProcessMemory() {
    }

    /** The resident set size of {@code pid} in KiB, or null when unknown (no such process, no /proc). */
    public static Long rssKb(long pid) {
        try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(pid), "status"),
                StandardCharsets.UTF_8)) {
            return lines.filter(line -> line.startsWith("VmRSS:")).findFirst().map(ProcessMemory::kb).orElse(null);
        } catch (IOException | UncheckedIOException | NumberFormatException e) {
            return null;
        }
    }

    /** {@code "VmRSS:    61234 kB"} to 61234. */
    static Long kb(String vmRssLine) {
        String value = vmRssLine.substring("VmRSS:".length()).trim();
        int space = value.indexOf(' ');
        return Long.parseLong(space < 0 ? value : value.substring(0, space));
    }
}
