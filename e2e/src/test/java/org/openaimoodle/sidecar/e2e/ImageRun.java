package org.openaimoodle.sidecar.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.openaimoodle.sidecar.testkit.ProcessRun;

/**
 * An image's exported file system run the way a container engine would start it, without one: its
 * command under {@code unshare --pid --fork --mount} + {@code chroot}, with only the given
 * environment. The namespace's PID 1 is the image's entrypoint (tini in the Moodle image); the
 * network is the host's. {@link #close()} kills whatever still runs in the namespace.
 */
final class ImageRun implements AutoCloseable {

    /** Mounts /proc and /dev inside the root, in the new mount namespace only, then chroots. */
    private static final String ENTER = """
            root=$1; shift
            mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" || exit 125
            exec chroot "$@"
            """;

    private final Path root;
    private final List<String> env;
    private final Process unshare;
    private final Path output;
    private final long nsInit;

    private ImageRun(Path root, List<String> env, Process unshare, Path output, long nsInit) {
        this.root = root;
        this.env = env;
        this.unshare = unshare;
        this.output = output;
        this.nsInit = nsInit;
    }

    /**
     * @param userspec {@code chroot --userspec} value (e.g. {@code 1001:1001}), or {@code null} for root
     * @param env      the whole environment inside ({@code NAME=value})
     * @param output   receives the run's stdout and stderr
     */
    static ImageRun start(Path root, String userspec, List<String> env, List<String> command, Path output)
            throws IOException {
        List<String> argv = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount", "--propagation", "private",
                "--", "bash", "-c", ENTER, "_", root.toString()));
        if (userspec != null) {
            argv.add("--userspec=" + userspec);
        }
        argv.add(root.toString());
        argv.addAll(List.of("/usr/bin/env", "-i"));
        argv.addAll(env);
        argv.addAll(command);
        Process unshare = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        try {
            long init = await("the namespace's PID 1").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> unshare.toHandle().children().findFirst().map(ProcessHandle::pid), Optional::isPresent)
                    .orElseThrow();
            return new ImageRun(root, env, unshare, output, init);
        } catch (RuntimeException e) {
            unshare.destroyForcibly();
            throw new IllegalStateException("the image did not start: " + read(output), e);
        }
    }

    /** Host pid of the namespace's PID 1. */
    long pid1() {
        return nsInit;
    }

    /** Runs a command inside the running image, with the image's environment. */
    ProcessRun.Finished inside(String userspec, String... command) throws IOException, InterruptedException {
        return insideWith(userspec, env, Duration.ofSeconds(90), command);
    }

    /** Runs a command inside the running image (its mount and pid namespace) with exactly {@code environment}. */
    ProcessRun.Finished insideWith(String userspec, List<String> environment, Duration timeout, String... command)
            throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("nsenter", "--target", Long.toString(nsInit), "--mount", "--pid",
                "--", "chroot"));
        if (userspec != null) {
            argv.add("--userspec=" + userspec);
        }
        argv.addAll(List.of(root.toString(), "/usr/bin/env", "-i"));
        argv.addAll(environment);
        argv.addAll(List.of(command));
        return ProcessRun.run(argv, Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), Path.of("/"), null, timeout);
    }

    /** Host pids of every process whose root is this image's root. */
    List<Long> processes() {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(proc -> proc.getFileName().toString().matches("\\d+"))
                    .filter(proc -> root.equals(link(proc.resolve("root"))))
                    .map(proc -> Long.parseLong(proc.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The java processes inside, each as "pid uid executable" (executable as seen inside). */
    List<String> jvms() {
        List<String> jvms = new ArrayList<>();
        for (long pid : processes()) {
            Path exe = link(Path.of("/proc", Long.toString(pid), "exe"));
            if (exe != null && exe.toString().endsWith("/bin/java")) {
                jvms.add(pid + " " + uid(pid) + " /" + root.relativize(exe));
            }
        }
        return jvms;
    }

    /** Waits at most {@code timeout} for the run to end; its exit code, or empty if it still runs. */
    Optional<Integer> awaitExit(Duration timeout) throws InterruptedException {
        return unshare.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? Optional.of(unshare.exitValue()) : Optional.empty();
    }

    String output() {
        return read(output);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    private static String uid(long pid) {
        try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(pid), "status"))) {
            return lines.filter(line -> line.startsWith("Uid:")).map(line -> line.split("\\s+")[1]).findFirst().orElse("?");
        } catch (IOException e) {
            return "gone";
        }
    }

    private static Path link(Path link) {
        try {
            return Files.readSymbolicLink(link);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (unshare.isAlive()) {
            // SIGKILL to the namespace's PID 1 takes every process of the namespace with it.
            ProcessHandle.of(nsInit).ifPresent(ProcessHandle::destroyForcibly);
            unshare.destroyForcibly();
            unshare.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
