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

/** {@code sidecarctl usage forget USER}: deletes every usage record of one user (privacy requests). */
@Command(name = "forget", description = {"Deletes every usage record of USER from SIDECAR_USAGE_DB and says how many.",
        "Exit 0; 1 the store cannot be written."})
final class UsageForgetCommand implements Callable<Integer> {
    @ParentCommand
    private UsageCommand usage;

    @Parameters(index = "0", paramLabel = "USER", description = "the user id (/ai user_id, /v1 user)")
    private String user;

    @Override
    public Integer call() {
        java.nio.file.Path file = usage.sidecar().config().usageDb();
        UsageCommand.importSpool(file, "usage forget"); // a spooled record of the user must not come back later
        try (Connection store = UsageDatabase.open(file, false)) {
            int deleted = UsageReport.forget(store, user);
            System.out.println("deleted " + deleted + " usage record" + (deleted == 1 ? "" : "s") + " of user "
                    + org.openaimoodle.sidecar.common.ControlCharacters.escapeKeepingTabs(user));
            return ExitCodes.OK;
        } catch (SQLException e) {
            System.err.println("sidecarctl usage forget: cannot change the usage store " + file + ": " + e.getMessage());
            return ExitCodes.FAILED;
        }
    }
}
