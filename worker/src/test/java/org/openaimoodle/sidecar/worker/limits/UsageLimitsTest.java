package org.openaimoodle.sidecar.worker.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;

import io.github.bucket4j.TimeMeter;
import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.worker.metrics.Metrics;
import org.openaimoodle.sidecar.worker.metrics.RecordingMetrics;

/** The bucket arithmetic on a fake clock: no sleeps. */
class UsageLimitsTest {
    /** A clock that moves only when told. */
    static final class FakeClock implements TimeMeter {
        long nanos;

        void advance(Duration by) {
            nanos += by.toNanos();
        }

        @Override
        public long currentTimeNanos() {
            return nanos;
        }

        @Override
        public boolean isWallClockBased() {
            return false;
        }
    }

    final FakeClock clock = new FakeClock();

    UsageLimits limits(String userRequests, String userTokens, String siteRequests, String siteTokens) {
        return new UsageLimits(spec(userRequests), spec(userTokens), spec(siteRequests), spec(siteTokens), clock);
    }

    static Optional<LimitSpec> spec(String text) {
        return Optional.ofNullable(text).map(LimitSpec::parse);
    }

    @Test
    void thirtyPerHourAllowsThirtyThenOneEveryTwoMinutes() throws Exception {
        UsageLimits limits = limits("30/1h", null, null, null);
        for (int i = 0; i < 30; i++) {
            limits.admit("42");
        }
        QuotaExceeded refused = assertThrows(QuotaExceeded.class, () -> limits.admit("42"));
        assertEquals(Duration.ofMinutes(2), refused.retryAfter());
        assertEquals(120, refused.retryAfterSeconds());
        assertEquals("Usage limit reached: your requests (30 per hour); try again in 2 minutes", refused.getMessage());
        clock.advance(Duration.ofSeconds(119));
        assertThrows(QuotaExceeded.class, () -> limits.admit("42"));
        clock.advance(Duration.ofSeconds(1));
        limits.admit("42");
        assertThrows(QuotaExceeded.class, () -> limits.admit("42"));
        limits.admit("43"); // another user has a bucket of its own
    }

    @Test
    void tokenLimitRefusesOnlyWhenNothingIsLeftAndMayBeOverdrawn() throws Exception {
        UsageLimits limits = limits(null, "100/100s", null, null);
        limits.admit("7");
        limits.charge("7", 99);
        limits.admit("7"); // one token left: allowed
        limits.charge("7", 50); // overdraws to -49
        QuotaExceeded refused = assertThrows(QuotaExceeded.class, () -> limits.admit("7"));
        assertEquals(Duration.ofSeconds(50), refused.retryAfter()); // back to 1 token after 50 s
        assertTrue(refused.getMessage().contains("your tokens (100 per 100 seconds)"), refused.getMessage());
        clock.advance(Duration.ofSeconds(50));
        limits.admit("7");
        limits.charge("7", 0);
        limits.charge("7", -1); // unknown usage charges nothing
        limits.admit("7");
    }

    @Test
    void eachRefusalIsCountedUnderTheLimitThatRefused() throws Exception {
        RecordingMetrics metrics = new RecordingMetrics();
        UsageLimits limits = new UsageLimits(spec("1/1h"), spec("10/1h"), spec("2/1h"), spec(null), clock,
                metrics);
        limits.admit("a");
        assertThrows(QuotaExceeded.class, () -> limits.admit("a"));
        limits.admit("b");
        assertThrows(QuotaExceeded.class, () -> limits.admit("c")); // the site's two are used
        clock.advance(Duration.ofHours(1));
        limits.admit("d");
        limits.charge("d", 50); // overdraws d's 10 tokens
        assertThrows(QuotaExceeded.class, () -> limits.admit("d"));
        assertEquals(java.util.List.of(Metrics.Limit.USER_REQUESTS, Metrics.Limit.SITE_REQUESTS,
                Metrics.Limit.USER_TOKENS), metrics.counted);
    }

    @Test
    void siteLimitsCountEveryUserAndGiveBackTheUsersRequestWhenTheSiteRefuses() throws Exception {
        UsageLimits limits = limits("2/1h", null, "3/1h", null);
        limits.admit("a");
        limits.admit("b");
        limits.admit("c");
        QuotaExceeded refused = assertThrows(QuotaExceeded.class, () -> limits.admit("a"));
        assertTrue(refused.getMessage().contains("the site's requests (3 per hour)"), refused.getMessage());
        clock.advance(Duration.ofMinutes(20)); // the site gets one back; "a" still has its second
        limits.admit("a");
    }

    @Test
    void siteTokensAreSharedAndChargedAfterTheRequest() throws Exception {
        UsageLimits limits = limits(null, null, null, "30/1h");
        limits.admit("a");
        limits.charge("a", 15);
        limits.admit("b");
        limits.charge("b", 15);
        QuotaExceeded refused = assertThrows(QuotaExceeded.class, () -> limits.admit("c"));
        assertTrue(refused.getMessage().contains("the site's tokens"), refused.getMessage());
        assertEquals(Duration.ofMinutes(2), refused.retryAfter());
    }

    @Test
    void noLimitConfiguredAdmitsEverything() throws Exception {
        UsageLimits limits = limits(null, null, null, null);
        assertEquals(false, limits.any());
        for (int i = 0; i < 1000; i++) {
            limits.admit("x");
            limits.charge("x", 1_000_000);
        }
    }

    @Test
    void aReplayOfWhatEarlierRunsServedRefillsAsIfTheBucketsHadLivedThrough() throws Exception {
        clock.advance(Duration.ofDays(3));
        UsageLimits limits = limits("30/1h", "100/1h", "40/1h", null);
        java.util.List<UsageLimits.Past> past = new java.util.ArrayList<>();
        for (int i = 0; i < 30; i++) {
            past.add(new UsageLimits.Past(Duration.ofMinutes(4).toNanos(), "42", i == 0 ? 90 : 0));
        }
        past.add(new UsageLimits.Past(Duration.ofMinutes(1).toNanos(), "43", 0));
        assertEquals(31, limits.replay(past));
        // 42 used all 30 requests 4 minutes ago: one comes back every 2 minutes, so two are there now.
        limits.admit("42");
        limits.admit("42");
        QuotaExceeded refused = assertThrows(QuotaExceeded.class, () -> limits.admit("42"));
        assertTrue(refused.getMessage().contains("your requests"), refused.getMessage());
        // 90 of 100 tokens 4 minutes ago, about 6.7 refilled since: charge 20 more and nothing is left
        limits.charge("42", 20);
        clock.advance(Duration.ofHours(1));
        limits.admit("42"); // a whole period later everything is back
        // An hour on, the site's bucket is full again, less the one request 42 just took.
        int served = 0;
        for (int user = 100; user < 200; user++) {
            try {
                limits.admit(Integer.toString(user));
                served++;
            } catch (QuotaExceeded e) {
                break;
            }
        }
        assertEquals(39, served);
    }

    @Test
    void aReplayStartsNothingWhenNoLimitIsSet() {
        UsageLimits limits = limits(null, null, null, null);
        assertEquals(0, limits.replay(java.util.List.of(new UsageLimits.Past(0, "42", 10))));
    }

    @Test
    void theHundredThousandAndFirstUserDropsOneUsersBucketsWhileTheSiteStillCountsEveryone() throws Exception {
        int users = UsageLimits.MAX_USERS + 1;
        UsageLimits limits = limits("1/1h", null, 2 * users + "/1h", null);
        for (int user = 0; user < users; user++) {
            limits.admit("u" + user); // each user's one request of the hour
        }
        assertEquals(UsageLimits.MAX_USERS, limits.trackedUsers());
        // One user lost its used-up bucket: it is served once more. Probed in reverse, so that the buckets this
        // probe creates (and the users they push out in turn) are of users probed already.
        int servedAgain = 0;
        for (int user = users - 1; user >= 0; user--) {
            try {
                limits.admit("u" + user);
                servedAgain++;
            } catch (QuotaExceeded e) {
                // still at its limit
            }
        }
        assertTrue(servedAgain >= 1 && servedAgain <= 2, "served again: " + servedAgain);
        assertEquals(UsageLimits.MAX_USERS, limits.trackedUsers());
        // The site counted every request: 100,001 + those served again, of 200,002; the rest are new users.
        for (int i = 0; i < users - servedAgain; i++) {
            limits.admit("new-" + i);
        }
        QuotaExceeded refused = assertThrows(QuotaExceeded.class, () -> limits.admit("one more"));
        assertTrue(refused.getMessage().contains("the site's requests"), refused.getMessage());
    }
}
