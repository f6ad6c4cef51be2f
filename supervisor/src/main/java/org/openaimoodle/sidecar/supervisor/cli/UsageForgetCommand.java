package org.openaimoodle.sidecar.supervisor.cli;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Callable;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.common.usage.UsageDatabase;
import org.openaimoodle.sidecar.supervisor.usage.UsageReport;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sidecarctl usage forget USER}: deletes every usage record of one user (privacy requests): in Redis for the
 * whole site when SIDECAR_REDIS_URL is set, and in this node's store.
 */
@Command(name = "forget", description = {"Deletes every usage record of USER from SIDECAR_USAGE_DB (with "
        + "SIDECAR_REDIS_URL: also every node's, in Redis) and says how many.",
        "Exit 0; 1 the store cannot be written."})
final class UsageForgetCommand implements Callable<Integer> {
    @ParentCommand
    private UsageCommand usage;

    @Parameters(index = "0", paramLabel = "USER", description = "the user id (/ai user_id, /v1 user)")
    private String user;

    @Override
    public Integer call() {
        org.openaimoodle.sidecar.supervisor.config.SupervisorConfig config = usage.sidecar().config();
        java.nio.file.Path file = config.usageDb();
        UsageCommand.importSpool(file, "usage forget"); // a spooled record of the user must not come back later
        long deleted = 0;
        if (config.redisUrl().isPresent()) { // every node's records
            try {
                deleted = org.openaimoodle.sidecar.supervisor.usage.SiteUsage.forget(config.redisUrl().get(),
                        config.redisPrefix(), user);
            } catch (SQLException e) {
                System.err.println("sidecarctl usage forget: cannot change the site's usage records: "
                        + config.secretMasker().scrub(e.getMessage()));
                return ExitCodes.FAILED;
            }
            if (!java.nio.file.Files.exists(file)) { // no local store (this node always had Redis): nothing more
                print(deleted);
                return ExitCodes.OK;
            }
        }
        try (Connection store = UsageDatabase.open(file, false)) {
            deleted += UsageReport.forget(store, user); // records of this node from before Redis, or stdio's
            print(deleted);
            return ExitCodes.OK;
        } catch (SQLException e) {
            System.err.println("sidecarctl usage forget: cannot change the usage store " + file + ": " + e.getMessage());
            return ExitCodes.FAILED;
        }
    }

    private void print(long deleted) {
        System.out.println("deleted " + deleted + " usage record" + (deleted == 1 ? "" : "s") + " of user "
                + org.openaimoodle.sidecar.common.ControlCharacters.escapeKeepingTabs(user));
    }
}
