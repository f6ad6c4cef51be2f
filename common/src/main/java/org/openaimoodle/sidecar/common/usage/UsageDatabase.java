package org.openaimoodle.sidecar.common.usage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The embedded usage store (SQLite, one file), as the worker writes it and {@code sidecarctl usage} reads it:
 * where it lives, its one table, and how a connection to it is opened (WAL, so the report reads while the
 * worker writes). Its location is {@link UsageStoreLocation}'s. Only the usage classes touch this, so the SQLite driver is loaded on first use, never at
 * start.
 */
public final class UsageDatabase {
    /** How long a statement waits for a lock held by another process before failing. */
    private static final int BUSY_TIMEOUT_MS = 1000;

    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS usage (
              time_ms INTEGER NOT NULL,
              user TEXT NOT NULL,
              endpoint TEXT NOT NULL,
              action TEXT NOT NULL,
              model TEXT NOT NULL,
              prompt_tokens INTEGER NOT NULL,
              completion_tokens INTEGER NOT NULL,
              cached INTEGER NOT NULL,
              code TEXT NOT NULL,
              duration_ms INTEGER NOT NULL)""";

    private UsageDatabase() {
    }

    /**
     * Opens the store, creating its directory and table when {@code create}.
     *
     * @param file   the store's file
     * @param create true for the writer; a reader of a missing store gets an exception instead of an empty file
     * @return a connection in WAL mode with a bounded lock wait
     * @throws SQLException when the file cannot be opened or is not a usage store
     */
    public static Connection open(Path file, boolean create) throws SQLException {
        if (create) {
            try {
                Path parent = file.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
            } catch (java.io.IOException e) {
                throw new SQLException("cannot create the directory of " + file + ": " + e.getMessage(), e);
            }
        } else if (!Files.exists(file)) {
            throw new SQLException("no usage store at " + file + " (nothing recorded yet, or SIDECAR_USAGE_DB "
                    + "differs from the worker's)");
        }
        SqliteNativeLibrary.useCopyIn(file.toAbsolutePath().getParent());
        // The driver directly, not DriverManager: that would scan every jar of the class path for drivers.
        Connection connection = org.sqlite.JDBC.createConnection("jdbc:sqlite:" + file, new java.util.Properties());
        try (Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA busy_timeout=" + BUSY_TIMEOUT_MS);
            if (create) {
                statement.execute("PRAGMA journal_mode=WAL");
                statement.execute(SCHEMA);
                statement.execute("CREATE INDEX IF NOT EXISTS usage_time ON usage(time_ms)");
                statement.execute("CREATE INDEX IF NOT EXISTS usage_user ON usage(user)");
            }
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
        return connection;
    }
}
