package org.openaimoodle.sidecar.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Times how long until {@code GET /health} answers 200, for figure 4 and the start-up table. The timer
 * is this process's own clock, started right before the event, so its own JVM start is not counted.
 *
 * <ul>
 *   <li>{@code start PORT TIMEOUT_S LOG -- COMMAND...}: spawns COMMAND (output to LOG, stdin from
 *       /dev/null) and waits until healthy; the process keeps running and its pid is printed.</li>
 *   <li>{@code signal PORT TIMEOUT_S SIGNAL PID}: sends SIGNAL (e.g. KILL, STOP) to PID with kill(1),
 *       then waits until healthy again, which only a replacement worker can be.</li>
 * </ul>
 * Prints {@code pid=… ms=…} ({@code ms=-1} and exit 1 when not healthy in time).
 */
public final class HealthWatch {
    /** Between probes; small enough for a 1 ms-ish resolution, large enough not to load the machine. */
    private static final long PROBE_INTERVAL_NANOS = 2_000_000;
    /** A stopped worker still accepts connections (the kernel does) but never answers. */
    private static final int PROBE_TIMEOUT_MILLIS = 250;

    private HealthWatch() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: HealthWatch start PORT TIMEOUT_S LOG -- COMMAND... | signal PORT TIMEOUT_S SIGNAL PID");
            System.exit(2);
        }
        int port = Integer.parseInt(args[1]);
        long deadline = Long.parseLong(args[2]) * 1_000_000_000L;
        long started;
        long pid;
        if (args[0].equals("start")) {
            List<String> command = Arrays.asList(args).subList(5, args.length);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(args[3])));
            started = System.nanoTime();
            pid = builder.start().pid();
        } else if (args[0].equals("signal")) {
            pid = Long.parseLong(args[4]);
            started = System.nanoTime();
            int exit = new ProcessBuilder("kill", "-" + args[3], Long.toString(pid)).inheritIO().start().waitFor();
            if (exit != 0) {
                System.err.println("HealthWatch: kill -" + args[3] + " " + pid + " failed");
                System.exit(1);
            }
        } else {
            throw new IllegalArgumentException("unknown mode " + args[0]);
        }
        long elapsed = waitHealthy(port, started, deadline);
        System.out.printf("pid=%d ms=%s%n", pid, elapsed < 0 ? "-1" : String.format("%.1f", elapsed / 1e6));
        System.exit(elapsed < 0 ? 1 : 0);
    }

    /** Nanoseconds from {@code started} until the first 200, or -1 after {@code deadline}. */
    private static long waitHealthy(int port, long started, long deadline) throws InterruptedException {
        while (System.nanoTime() - started < deadline) {
            long probe = System.nanoTime();
            if (healthy(port)) {
                return System.nanoTime() - started;
            }
            long pause = PROBE_INTERVAL_NANOS - (System.nanoTime() - probe);
            if (pause > 0) {
                Thread.sleep(pause / 1_000_000, (int) (pause % 1_000_000));
            }
        }
        return -1;
    }

    private static boolean healthy(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), PROBE_TIMEOUT_MILLIS);
            socket.setSoTimeout(PROBE_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] status = in.readNBytes(12);
            return new String(status, StandardCharsets.US_ASCII).equals("HTTP/1.1 200");
        } catch (IOException e) {
            return false;
        }
    }
}
