package org.openaimoodle.sidecar.supervisor.usage;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The queries of {@code sidecarctl usage} on the usage store: totals per user, action, model or day over a
 * period, and the deletion of one user's records. Costs are added per model, so a row of a user who used two
 * models costs what each model's tokens cost.
 */
public final class UsageReport {
    /** What the rows are grouped by. */
    public enum By {
        USER("user"), ACTION("action"), MODEL("model"), DAY("date(time_ms / 1000, 'unixepoch', 'localtime')");

        private final String column;

        By(String column) {
            this.column = column;
        }

        /** @return the name of the key column in the output */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One row of the report.
     *
     * @param key              the user, action, model or day
     * @param requests         answered requests
     * @param cached           of them answered from the cache
     * @param promptTokens     prompt tokens
     * @param completionTokens completion tokens
     * @param cost             USD by SIDECAR_PRICES (zero for models without a price)
     */
    public record Row(String key, long requests, long cached, long promptTokens, long completionTokens,
                      BigDecimal cost) {
        Row plus(long moreRequests, long moreCached, long morePrompt, long moreCompletion, BigDecimal moreCost) {
            return new Row(key, requests + moreRequests, cached + moreCached, promptTokens + morePrompt,
                    completionTokens + moreCompletion, cost.add(moreCost));
        }
    }

    private UsageReport() {
    }

    /**
     * @param store  an open store
     * @param by     the grouping
     * @param since  first instant included
     * @param until  first instant excluded
     * @param user   only this user's records, if given
     * @param top    at most this many rows (0: all); by day the days in order, else the most requests first
     * @param prices SIDECAR_PRICES
     * @return the rows
     * @throws SQLException when the store cannot be read
     */
    public static List<Row> rows(Connection store, By by, Instant since, Instant until, Optional<String> user, int top,
                                 Prices prices) throws SQLException {
        String sql = "SELECT " + by.column + " AS k, model, COUNT(*), SUM(cached), SUM(prompt_tokens), "
                + "SUM(completion_tokens) FROM usage WHERE time_ms >= ? AND time_ms < ?"
                + (user.isPresent() ? " AND user = ?" : "") + " GROUP BY k, model";
        Map<String, Row> rows = new LinkedHashMap<>();
        try (PreparedStatement query = store.prepareStatement(sql)) {
            query.setLong(1, since.toEpochMilli());
            query.setLong(2, until.toEpochMilli());
            if (user.isPresent()) {
                query.setString(3, user.get());
            }
            try (ResultSet result = query.executeQuery()) {
                while (result.next()) {
                    String key = result.getString(1);
                    long prompt = result.getLong(5);
                    long completion = result.getLong(6);
                    rows.merge(key, new Row(key, 0, 0, 0, 0, BigDecimal.ZERO).plus(result.getLong(3),
                            result.getLong(4), prompt, completion, prices.cost(result.getString(2), prompt,
                                    completion)), (a, b) -> a.plus(b.requests(), b.cached(), b.promptTokens(),
                            b.completionTokens(), b.cost()));
                }
            }
        }
        List<Row> sorted = new ArrayList<>(rows.values());
        sorted.sort(by == By.DAY ? Comparator.comparing(Row::key)
                : Comparator.comparingLong(Row::requests).reversed().thenComparing(Row::key));
        return top > 0 && sorted.size() > top ? sorted.subList(0, top) : sorted;
    }

    /**
     * @param store an open store
     * @param user  the user whose records go
     * @return how many records were deleted
     * @throws SQLException when the store cannot be written
     */
    public static int forget(Connection store, String user) throws SQLException {
        try (PreparedStatement delete = store.prepareStatement("DELETE FROM usage WHERE user = ?")) {
            delete.setString(1, user);
            return delete.executeUpdate();
        }
    }
}
