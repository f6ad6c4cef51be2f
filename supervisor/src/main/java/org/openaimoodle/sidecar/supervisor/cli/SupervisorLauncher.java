package org.openaimoodle.sidecar.supervisor.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.openaimoodle.sidecar.supervisor.Main;

/** Starts {@code sidecarctl run} detached: a new session, no terminal, output into the run directory. */
final class SupervisorLauncher {
    private SupervisorLauncher() {
    }

    /** Starts a supervisor for {@code sidecar} and returns its process (the supervisor itself, or setsid). */
    static Process startDetached(LocalSidecar sidecar) throws IOException {
        File output = sidecar.runDirectory().prepare().detachedOutputFile().toFile();
        List<String> command = new ArrayList<>();
        if (onPath(sidecar, "setsid")) {
            command.add("setsid"); // a new session: no SIGHUP when the admin's terminal closes
        }
        String launcherDir = sidecar.environment().get("SIDECAR_LAUNCHER_DIR");
        if (launcherDir != null && !launcherDir.isBlank()) {
            command.add(Path.of(launcherDir, "sidecarctl").toString());
        } else {
            command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), Main.class.getName()));
        }
        sidecar.configFlag().ifPresent(file -> command.addAll(List.of("--config", file.toAbsolutePath().toString())));
        command.add("run");
        return new ProcessBuilder(command).redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output)).redirectErrorStream(true).start();
    }

    private static boolean onPath(LocalSidecar sidecar, String program) {
        String path = sidecar.environment().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
