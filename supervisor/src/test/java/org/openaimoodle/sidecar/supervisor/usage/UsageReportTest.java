package org.openaimoodle.sidecar.supervisor.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.TimeZone;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.common.usage.UsageDatabase;

/** The report's SQL against a real SQLite store. */
class UsageReportTest {
    private static final Instant DAY1 = Instant.parse("2026-11-24T10:00:00Z");
    private static final Instant DAY2 = Instant.parse("2026-11-25T10:00:00Z");
    private static final Instant ALL_FROM = Instant.parse("2026-11-01T00:00:00Z");
    private static final Instant ALL_UNTIL = Instant.parse("2026-12-01T00:00:00Z");
    private static final Prices PRICES = Prices.parse(List.of("mini=1000/2000", "big=10000/20000"));

    @TempDir
    Path dir;
    private Connection store;

    @BeforeEach
    void fill() throws SQLException {
        store = UsageDatabase.open(dir.resolve("usage.db"), true);
        insert(DAY1, "42", "chat", "mini", 10, 5, false);
        insert(DAY1, "42", "summarize", "big", 10, 5, false);
        insert(DAY2, "42", "summarize", "big", 0, 0, true);
        insert(DAY2, "7", "v1", "mini", 20, 10, false);
        insert(Instant.parse("2026-10-01T00:00:00Z"), "7", "v1", "mini", 1000, 1000, false);
    }

    @AfterEach
    void close() throws SQLException {
        store.close();
    }

    private void insert(Instant time, String user, String action, String model, long prompt, long completion,
                        boolean cached) throws SQLException {
        try (PreparedStatement insert = store.prepareStatement("INSERT INTO usage VALUES (?, ?, 'ai', ?, ?, ?, ?, ?, "
                + "'ok', 12)")) {
            insert.setLong(1, time.toEpochMilli());
            insert.setString(2, user);
            insert.setString(3, action);
            insert.setString(4, model);
            insert.setLong(5, prompt);
            insert.setLong(6, completion);
            insert.setInt(7, cached ? 1 : 0);
            insert.executeUpdate();
        }
    }

    private List<UsageReport.Row> rows(UsageReport.By by, Optional<String> user, int top) throws SQLException {
        return UsageReport.rows(store, by, ALL_FROM, ALL_UNTIL, user, top, PRICES);
    }

    @Test
    void perUserTheTotalsOfThePeriodAndTheCostOfEachModel() throws SQLException {
        List<UsageReport.Row> rows = rows(UsageReport.By.USER, Optional.empty(), 0);
        // 42: mini 10/5 → 0.01 + 0.01; big 10/5 → 0.1 + 0.1; the record before the period is not counted
        assertEquals(List.of(new UsageReport.Row("42", 3, 1, 20, 10, new BigDecimal("0.22")),
                new UsageReport.Row("7", 1, 0, 20, 10, new BigDecimal("0.04"))), normalized(rows));
    }

    @Test
    void perActionAndPerModel() throws SQLException {
        assertEquals(List.of("summarize:2:10", "chat:1:10", "v1:1:20"), brief(rows(UsageReport.By.ACTION,
                Optional.empty(), 0)));
        assertEquals(List.of("big:2:10", "mini:2:30"), brief(rows(UsageReport.By.MODEL, Optional.empty(), 0)));
    }

    @Test
    void perDayInOrderOfTheDays() throws SQLException {
        TimeZone zone = TimeZone.getDefault();
        List<UsageReport.Row> rows = rows(UsageReport.By.DAY, Optional.empty(), 0);
        assertEquals(List.of(DAY1.atZone(ZoneId.systemDefault()).toLocalDate() + ":2:20",
                DAY2.atZone(ZoneId.systemDefault()).toLocalDate() + ":2:20"), brief(rows), zone.getID());
    }

    @Test
    void oneUserTheTopRowsAndThePeriodBounds() throws SQLException {
        assertEquals(List.of("summarize:2:10", "chat:1:10"), brief(rows(UsageReport.By.ACTION, Optional.of("42"), 0)));
        assertEquals(List.of("42:3:20"), brief(rows(UsageReport.By.USER, Optional.empty(), 1)));
        assertEquals(List.of("42:1:0", "7:1:20"), brief(UsageReport.rows(store, UsageReport.By.USER, DAY2,
                ALL_UNTIL, Optional.empty(), 0, PRICES)));
        assertEquals(List.of("42:2:20"), brief(UsageReport.rows(store, UsageReport.By.USER, DAY1, DAY2,
                Optional.empty(), 0, PRICES)));
    }

    @Test
    void forgetDeletesEveryRecordOfTheUserAndSaysHowMany() throws SQLException {
        assertEquals(2, UsageReport.forget(store, "7"));
        assertEquals(0, UsageReport.forget(store, "7"));
        assertEquals(List.of("42:3:20"), brief(rows(UsageReport.By.USER, Optional.empty(), 0)));
    }

    private static List<String> brief(List<UsageReport.Row> rows) {
        return rows.stream().map(r -> r.key() + ":" + r.requests() + ":" + r.promptTokens()).toList();
    }

    private static List<UsageReport.Row> normalized(List<UsageReport.Row> rows) {
        return rows.stream().map(r -> new UsageReport.Row(r.key(), r.requests(), r.cached(), r.promptTokens(),
                r.completionTokens(), r.cost().stripTrailingZeros())).toList();
    }
}
