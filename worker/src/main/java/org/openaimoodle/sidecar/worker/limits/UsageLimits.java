package org.openaimoodle.sidecar.worker.limits;

import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import org.openaimoodle.sidecar.worker.metrics.Metrics;
import org.openaimoodle.sidecar.worker.metrics.Metrics.Limit;

/**
 * The four usage limits of one node ({@code SIDECAR_LIMIT_USER_REQUESTS}, {@code …_USER_TOKENS},
 * {@code …_SITE_REQUESTS}, {@code …_SITE_TOKENS}) as Bucket4j token buckets with greedy refill. Request limits
 * take one from their bucket when a request is admitted; token limits only refuse when nothing is left, and are
 * charged with the reply's tokens afterwards, so one request may overdraw them by its own tokens (the bucket goes
 * below zero and the next request waits until it is positive again).
 *
 * <p>Per-user buckets live in a map bounded to {@link #MAX_USERS} users; a user whose buckets were not touched
 * for the longest period of the user limits is dropped (those buckets would be full again anyway). Beyond the
 * bound the least recently seen user is dropped early and starts again with full buckets.
 */
public final class UsageLimits {
    /** Per-user bucket pairs held at most (a pair is a few hundred bytes). */
    public static final int MAX_USERS = 100_000;

    private final Optional<LimitSpec> userRequests;
    private final Optional<LimitSpec> userTokens;
    private final Optional<LimitSpec> siteRequests;
    private final Optional<LimitSpec> siteTokens;
    private final TimeMeter clock;
    private final Bucket siteRequestBucket;
    private final Bucket siteTokenBucket;
    private final Cache<String, UserBuckets> users;
    private final Metrics metrics;

    private record UserBuckets(Bucket requests, Bucket tokens) {
    }

    /**
     * @param userRequests requests per user, or empty
     * @param userTokens   tokens per user, or empty
     * @param siteRequests requests of all users together, or empty
     * @param siteTokens   tokens of all users together, or empty
     * @param clock        the buckets' clock ({@link TimeMeter#SYSTEM_NANOTIME} in production, a fake one in tests)
     */
    public UsageLimits(Optional<LimitSpec> userRequests, Optional<LimitSpec> userTokens,
                       Optional<LimitSpec> siteRequests, Optional<LimitSpec> siteTokens, TimeMeter clock) {
        this(userRequests, userTokens, siteRequests, siteTokens, clock, Metrics.NONE);
    }

    /**
     * As above, counting each refusal by its limit in {@code metrics}.
     *
     * @param metrics where refusals are counted
     */
    public UsageLimits(Optional<LimitSpec> userRequests, Optional<LimitSpec> userTokens,
                       Optional<LimitSpec> siteRequests, Optional<LimitSpec> siteTokens, TimeMeter clock,
                       Metrics metrics) {
        this.metrics = metrics;
        this.userRequests = userRequests;
        this.userTokens = userTokens;
        this.siteRequests = siteRequests;
        this.siteTokens = siteTokens;
        this.clock = clock;
        this.siteRequestBucket = siteRequests.map(this::bucket).orElse(null);
        this.siteTokenBucket = siteTokens.map(this::bucket).orElse(null);
        Duration longest = Stream.of(userRequests, userTokens).flatMap(Optional::stream).map(LimitSpec::period)
                .max(Duration::compareTo).orElse(null);
        this.users = longest == null ? null : Caffeine.newBuilder().maximumSize(MAX_USERS)
                .expireAfterAccess(longest).build();
    }

    /** @return whether any limit is configured */
    public boolean any() {
        return users != null || siteRequestBucket != null || siteTokenBucket != null;
    }

    /**
     * Admits one request of {@code user}: refuses it when a token limit has nothing left or a request limit is
     * used up; otherwise takes one from each request limit.
     *
     * @param user the identity ({@code anonymous} when the request names none)
     * @throws QuotaExceeded saying which limit and when to try again
     */
    public void admit(String user) throws QuotaExceeded {
        UserBuckets mine = users == null ? null : users.get(user, key -> new UserBuckets(
                userRequests.map(this::bucket).orElse(null), userTokens.map(this::bucket).orElse(null)));
        Bucket myRequests = mine == null ? null : mine.requests();
        Bucket myTokens = mine == null ? null : mine.tokens();
        requireTokensLeft(myTokens, Limit.USER_TOKENS, () -> "your tokens (" + userTokens.orElseThrow().shown() + ")");
        requireTokensLeft(siteTokenBucket, Limit.SITE_TOKENS, () -> "the site's tokens (" + siteTokens.orElseThrow().shown() + ")");
        take(myRequests, Limit.USER_REQUESTS, () -> "your requests (" + userRequests.orElseThrow().shown() + ")");
        try {
            take(siteRequestBucket, Limit.SITE_REQUESTS, () -> "the site's requests (" + siteRequests.orElseThrow().shown() + ")");
        } catch (QuotaExceeded e) {
            if (myRequests != null) {
                myRequests.addTokens(1); // this request was not served: give the user's one back
            }
            throw e;
        }
    }

    /**
     * Charges the tokens a served request cost to the token limits, even beyond what is left.
     *
     * @param user   the identity the request was admitted with
     * @param tokens the reply's total tokens; nothing is charged for zero or unknown (negative)
     */
    public void charge(String user, long tokens) {
        if (tokens <= 0) {
            return;
        }
        UserBuckets mine = users == null ? null : users.getIfPresent(user);
        if (mine != null && mine.tokens() != null) {
            mine.tokens().consumeIgnoringRateLimits(tokens);
        }
        if (siteTokenBucket != null) {
            siteTokenBucket.consumeIgnoringRateLimits(tokens);
        }
    }

    private Bucket bucket(LimitSpec spec) {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(spec.amount()).refillGreedy(spec.amount(), spec.period()))
                .withCustomTimePrecision(clock)
                .build();
    }

    private void requireTokensLeft(Bucket bucket, Limit limit, java.util.function.Supplier<String> which)
            throws QuotaExceeded {
        if (bucket == null) {
            return;
        }
        EstimationProbe probe = bucket.estimateAbilityToConsume(1);
        if (!probe.canBeConsumed()) {
            metrics.limitRefused(limit);
            throw new QuotaExceeded(which.get(), Duration.ofNanos(probe.getNanosToWaitForRefill()));
        }
    }

    private void take(Bucket bucket, Limit limit, java.util.function.Supplier<String> which) throws QuotaExceeded {
        if (bucket == null) {
            return;
        }
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            metrics.limitRefused(limit);
            throw new QuotaExceeded(which.get(), Duration.ofNanos(probe.getNanosToWaitForRefill()));
        }
    }
}
