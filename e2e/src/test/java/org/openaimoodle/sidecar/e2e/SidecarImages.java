package org.openaimoodle.sidecar.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.ProcessRun;

/**
 * The Dockerfile built with podman against the stand-in base images of
 * {@code docker/standin-images.sh} (both targets, {@code moodle} and {@code sidecar}), and each
 * image's file system exported into a directory, ready to run under {@code unshare} + {@code chroot}.
 * {@link #close()} removes the two images and the directories; the stand-ins stay cached.
 */
final class SidecarImages implements AutoCloseable {

    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(12);
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(2);

    /**
     * One built target: its tag, exported root file system and the config podman recorded
     * ({@code healthcheck} is the HEALTHCHECK's command without its leading {@code CMD}).
     */
    record Image(String tag, Path root, List<String> env, List<String> command, String user,
                 List<String> healthcheck, long sizeBytes) {
    }

    private final Path work;
    private final Map<String, Image> images = new LinkedHashMap<>();
    /** Every image id in podman's storage before the builds: close() removes only what is new. */
    private List<String> imagesBefore = List.of();
    /** What the build took and weighs, for the figures (see {@link ContainerIT}). */
    final Map<String, String> figures = new LinkedHashMap<>();

    private SidecarImages(Path work) {
        this.work = work;
    }

    /**
     * Why this machine cannot run the container check at all, or {@code null} when it can. Only
     * what cannot be installed is a reason: not root, or no permission for new pid and mount
     * namespaces (e.g. inside a container without CAP_SYS_ADMIN). Missing tools are failures.
     */
    static String cannotRunReason() throws IOException, InterruptedException {
        if (!"0".equals(run(List.of("id", "-u")).output().strip())) {
            return "the container check needs root (podman's root storage, chroot, unshare): run ./run-tests as root";
        }
        ProcessRun.Finished unshare = run(List.of("unshare", "--pid", "--fork", "--mount", "true"));
        if (unshare.exitCode() != 0) {
            return "unshare --pid --mount is not permitted on this machine (no CAP_SYS_ADMIN?): " + unshare.output().strip();
        }
        return null;
    }

    /** Builds both targets (stand-ins first) and exports them under a fresh temp directory. */
    static SidecarImages build() throws IOException, InterruptedException {
        SidecarImages images = new SidecarImages(Files.createTempDirectory("openai-sidecar-images"));
        try {
            images.buildAll();
            return images;
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            images.close();
            throw e;
        }
    }

    Image moodle() {
        return images.get("moodle");
    }

    Image sidecar() {
        return images.get("sidecar");
    }

    private void buildAll() throws IOException, InterruptedException {
        for (String tool : List.of("podman", "unshare", "nsenter", "chroot", "tar")) {
            ProcessRun.Finished which = run(List.of("sh", "-c", "command -v " + tool));
            if (which.exitCode() != 0) {
                throw new AssertionError(tool + " is not installed: ./run-tests installs what the container check needs");
            }
        }
        long started = System.nanoTime();
        ProcessRun.Finished standins = ProcessRun.run(List.of(Checkout.ROOT.resolve("docker/standin-images.sh").toString()),
                environment(), Checkout.ROOT, null, BUILD_TIMEOUT);
        check(standins, "docker/standin-images.sh");
        figures.put("stand-in images (docker/standin-images.sh)", seconds(started));
        List<String> buildArgs = new ArrayList<>();
        standins.output().lines().filter(line -> line.matches("[A-Z_]+_IMAGE=\\S+"))
                .forEach(line -> buildArgs.addAll(List.of("--build-arg", line)));
        if (buildArgs.size() != 6) {
            throw new AssertionError("docker/standin-images.sh printed no build arguments:\n" + standins.output());
        }
        String id = Long.toString(ProcessHandle.current().pid());
        imagesBefore = imageIds("--all");
        // With layers, the second target reuses the build stages of the first (close() removes them).
        for (String target : List.of("sidecar", "moodle")) {
            String tag = "localhost/openai-sidecar-check/" + target + ":" + id;
            List<String> command = new ArrayList<>(List.of("podman", "build", "--isolation", "chroot", "--layers",
                    "--format", "docker", "--target", target, "-t", tag, "-f", Checkout.ROOT.resolve("Dockerfile").toString()));
            command.addAll(buildArgs);
            command.add(Checkout.ROOT.toString());
            started = System.nanoTime();
            // Registered before the build, so close() removes a half-built image too.
            images.put(target, new Image(tag, work.resolve(target + "-rootfs"), List.of(), List.of(), "", List.of(), 0));
            ProcessRun.Finished built = ProcessRun.run(command, environment(), Checkout.ROOT, null, BUILD_TIMEOUT);
            check(built, "podman build --target " + target);
            figures.put("podman build --target " + target, seconds(started));
            images.put(target, export(tag, work.resolve(target + "-rootfs")));
        }
    }

    private Image export(String tag, Path root) throws IOException, InterruptedException {
        Files.createDirectories(root);
        String container = check(run(List.of("podman", "create", tag)), "podman create " + tag).output().strip();
        try {
            check(run(List.of("bash", "-c", "set -o pipefail; podman export \"$1\" | tar -C \"$2\" --numeric-owner -xf -",
                    "_", container, root.toString())), "podman export " + tag);
        } finally {
            run(List.of("podman", "rm", "-f", container));
        }
        return new Image(tag, root,
                inspectLines(tag, "{{range .Config.Env}}{{println .}}{{end}}"),
                inspectLines(tag, "{{range .Config.Entrypoint}}{{println .}}{{end}}{{range .Config.Cmd}}{{println .}}{{end}}"),
                String.join("", inspectLines(tag, "{{.Config.User}}")),
                inspectLines(tag, "{{range .Config.Healthcheck.Test}}{{println .}}{{end}}").stream().skip(1).toList(),
                Long.parseLong(String.join("", inspectLines(tag, "{{.Size}}"))));
    }

    private static List<String> imageIds(String... filters) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("podman", "images", "--quiet", "--no-trunc"));
        command.addAll(List.of(filters));
        return check(run(command), "podman images").output().lines().filter(line -> !line.isBlank()).toList();
    }

    private static List<String> inspectLines(String tag, String format) throws IOException, InterruptedException {
        ProcessRun.Finished inspected = check(run(List.of("podman", "image", "inspect", "--format", format, tag)),
                "podman image inspect " + tag);
        return inspected.output().lines().filter(line -> !line.isBlank()).toList();
    }

    /** Runs a short command as this test's user, with PATH and HOME only. */
    static ProcessRun.Finished run(List<String> command) throws IOException, InterruptedException {
        return ProcessRun.run(command, environment(), Path.of("/"), null, COMMAND_TIMEOUT);
    }

    /** PATH, HOME and this test's JDK (which the stand-in build image then carries). */
    private static Map<String, String> environment() {
        return ProcessRun.baseEnvironment();
    }

    private static ProcessRun.Finished check(ProcessRun.Finished finished, String what) {
        if (finished.exitCode() != 0) {
            String output = finished.output();
            throw new AssertionError(what + " failed (exit " + finished.exitCode() + "):\n"
                    + output.substring(Math.max(0, output.length() - 6000)));
        }
        return finished;
    }

    private static String seconds(long startedNanos) {
        return String.format("%.0f s", (System.nanoTime() - startedNanos) / 1e9);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (Image image : images.values()) {
            run(List.of("podman", "rmi", "-f", image.tag()));
        }
        // The build's intermediate layers, now untagged: ours are those that were not there before.
        List<String> left = new ArrayList<>(imageIds("--all", "--filter", "dangling=true"));
        left.removeAll(imagesBefore);
        if (!left.isEmpty()) {
            List<String> rmi = new ArrayList<>(List.of("podman", "rmi", "-f"));
            rmi.addAll(left);
            run(rmi);
        }
        // No mount points below: the runs mount /proc and /dev only in their own mount namespaces.
        run(List.of("rm", "-rf", "--one-file-system", work.toString()));
    }
}
