package org.openaimoodle.sidecar.supervisor.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.ParentCommand;

/**
 * What every {@code sidecarctl} subcommand starts from: the local sidecar that the parent command's
 * configuration describes. One class per subcommand still, each a {@code Callable<Integer>} returning its
 * exit code; picocli fills the annotated field of this superclass too.
 */
abstract class SidecarctlSubcommand implements Callable<Integer> {
    @ParentCommand
    private SidecarctlCommand parent;

    /** @return the sidecar of this installation (config, run dir, control client), loaded once per run */
    final LocalSidecar sidecar() {
        return parent.sidecar();
    }
}
