package org.openaimoodle.sidecar.supervisor.cli;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.common.usage.SpoolImport;
import org.openaimoodle.sidecar.common.usage.UsageDatabase;
import org.openaimoodle.sidecar.common.usage.UsageSpool;
import org.openaimoodle.sidecar.supervisor.usage.ReportFormat;
import org.openaimoodle.sidecar.supervisor.config.SupervisorConfig;
import org.openaimoodle.sidecar.supervisor.usage.ReportPeriod;
import org.openaimoodle.sidecar.supervisor.usage.SiteUsage;
import org.openaimoodle.sidecar.supervisor.usage.UsageReport;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sidecarctl usage}: requests, cached replies, tokens and cost from the usage store the worker writes
 * (SIDECAR_USAGE_DB), or with SIDECAR_REDIS_URL every node's records from Redis, per user, action, model or day.
 * Only this command and {@code usage forget} load the SQLite driver and the Redis client; every other command
 * starts without them.
 */
@Command(name = "usage", subcommands = UsageForgetCommand.class, description = {
        "Reports usage from SIDECAR_USAGE_DB (with SIDECAR_REDIS_URL: every node's, from Redis, plus this node's "
                + "own store): requests, cached, prompt_tokens, completion_tokens, cost_usd "
                + "(SIDECAR_PRICES) per user, action, model or day. Records of stdio requests still in the spool "
                + "beside the store are imported first.",
        "Exit 0; 1 the store cannot be read; 2 bad options."})
final class UsageCommand extends SidecarctlSubcommand {
    @Option(names = "--since", defaultValue = "7d", description = "From: 7d, 12h, 30m back, or YYYY-MM-DD "
            + "(default: ${DEFAULT-VALUE})")
    private String since;

    @Option(names = "--until", description = "Until (excluded): same forms; default now")
    private String until;

    @Option(names = "--by", defaultValue = "user", description = "user, action, model or day (default: ${DEFAULT-VALUE})")
    private String by;

    @Option(names = "--user", description = "Only this user's records")
    private String user;

    @Option(names = "--top", defaultValue = "0", description = "At most N rows, most requests first (0: all)")
    private int top;

    @Option(names = "--format", defaultValue = "table", description = "table, csv or json (default: ${DEFAULT-VALUE})")
    private String format;

    @Override
    public Integer call() {
        Instant now = Instant.now();
        UsageReport.By grouping;
        ReportFormat output;
        Instant from;
        Instant to;
        try {
            grouping = choice(UsageReport.By.class, by, "--by", "user, action, model or day");
            output = choice(ReportFormat.class, format, "--format", "table, csv or json");
            from = ReportPeriod.parse(since, now, ZoneId.systemDefault());
            to = until == null ? now.plusSeconds(1) : ReportPeriod.parse(until, now, ZoneId.systemDefault());
            if (top < 0) {
                throw new IllegalArgumentException("--top " + top + " is negative; give a row count, or 0 for all");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("sidecarctl usage: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        SupervisorConfig config = sidecar().config();
        importSpool(config.usageDb(), "usage");
        if (config.redisUrl().isPresent()) { // every node's records from Redis, and this node's own store
            try {
                System.out.print(output.render(grouping.label(), SiteUsage.rows(config.redisUrl().get(),
                        config.redisPrefix(), config.usageDb(), grouping, from, to, Optional.ofNullable(user), top,
                        config.prices())));
                return ExitCodes.OK;
            } catch (SQLException e) {
                System.err.println("sidecarctl usage: cannot read the site's usage records: "
                        + config.secretMasker().scrub(e.getMessage()));
                return ExitCodes.FAILED;
            }
        }
        try (Connection store = UsageDatabase.open(config.usageDb(), false)) {
            List<UsageReport.Row> rows = UsageReport.rows(store, grouping, from, to, Optional.ofNullable(user), top,
                    config.prices());
            System.out.print(output.render(grouping.label(), rows));
            return ExitCodes.OK;
        } catch (SQLException e) {
            System.err.println("sidecarctl usage: cannot read the usage store " + config.usageDb() + ": "
                    + e.getMessage());
            return ExitCodes.FAILED;
        }
    }

    /**
     * Moves the records stdio requests left in the spool beside the store into it first, so that they are in the
     * report (and in {@code forget}) even when no worker runs to import them. A spool that cannot be imported is
     * reported on stderr; the report goes on with the store as it is.
     *
     * @param db      the store
     * @param command the command's name for the message
     */
    static void importSpool(java.nio.file.Path db, String command) {
        if (!UsageSpool.pending(db)) {
            return;
        }
        try (Connection store = UsageDatabase.open(db, true)) {
            SpoolImport.Result result = SpoolImport.run(db, store);
            if (result.dropped() > 0) {
                System.err.println("sidecarctl " + command + ": " + result.dropped() + " records of stdio requests "
                        + "were dropped because the usage spool was full (SIDECAR_USAGE_SPOOL_MAX_BYTES)");
            }
        } catch (SQLException | java.io.IOException e) {
            System.err.println("sidecarctl " + command + ": the stdio records in " + UsageSpool.of(db)
                    + " could not be imported (" + e.getMessage() + "); they are not in this report");
        }
    }

    private static <E extends Enum<E>> E choice(Class<E> type, String value, String option, String accepted) {
        try {
            return Enum.valueOf(type, value.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " '" + value + "' is not one of " + accepted);
        }
    }
}
