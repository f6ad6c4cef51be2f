package org.openaimoodle.sidecar.worker.limits;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One limit as configured, {@code N/<duration>} ({@code 30/1h}, {@code 100000/1d}): a bucket of {@code amount}
 * refilled evenly over {@code period}, so that after using all 30 of {@code 30/1h} one more is allowed every
 * 2 minutes.
 *
 * @param amount requests or tokens the bucket holds, at least 1
 * @param period how long a whole refill takes, at least one second
 */
public record LimitSpec(long amount, Duration period) {
    private static final Pattern FORM = Pattern.compile("([0-9]{1,15})\\s*/\\s*([0-9]{1,9})([smhd])");

    /** What a valid value looks like, for the configuration's error message. */
    public static final String EXPECTED = "N/<duration> with N at least 1 and a duration <n>s, <n>m, <n>h or <n>d, "
            + "e.g. 30/1h or 100000/1d";

    /**
     * @param text the configured value
     * @return the limit
     * @throws IllegalArgumentException when the text is not of the form {@link #EXPECTED}
     */
    public static LimitSpec parse(String text) {
        Matcher m = FORM.matcher(text.strip().toLowerCase(java.util.Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("not of the form N/<duration>");
        }
        long amount = Long.parseLong(m.group(1));
        long count = Long.parseLong(m.group(2));
        Duration unit = switch (m.group(3)) {
            case "s" -> Duration.ofSeconds(1);
            case "m" -> Duration.ofMinutes(1);
            case "h" -> Duration.ofHours(1);
            default -> Duration.ofDays(1);
        };
        if (amount < 1 || count < 1) {
            throw new IllegalArgumentException("not of the form N/<duration>");
        }
        return new LimitSpec(amount, unit.multipliedBy(count));
    }

    /** @return the limit for people: {@code 30 per hour}, {@code 5000000 per 30 days} */
    public String shown() {
        return amount + " per " + shownPeriod(period);
    }

    /** @return a period for people: {@code hour}, {@code 30 days} */
    static String shownPeriod(Duration period) {
        long seconds = period.toSeconds();
        long[] sizes = {86_400, 3_600, 60, 1};
        String[] units = {"day", "hour", "minute", "second"};
        for (int i = 0; i < sizes.length; i++) {
            if (seconds % sizes[i] == 0) {
                long n = seconds / sizes[i];
                return n == 1 ? units[i] : n + " " + units[i] + "s";
            }
        }
        return seconds + " seconds"; // unreachable: every period is whole seconds
    }
}
