package org.openaimoodle.sidecar.supervisor.usage;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/**
 * The {@code --since} and {@code --until} of {@code sidecarctl usage}: a time back from now ({@code 7d},
 * {@code 12h}, {@code 30m}) or a local date ({@code 2026-11-24}, its midnight).
 */
public final class ReportPeriod {
    private static final int MAX_TEXT = 32;

    private ReportPeriod() {
    }

    /**
     * @param text the option's value
     * @param now  the current time
     * @param zone the zone of dates
     * @return the instant it names
     * @throws IllegalArgumentException saying what is accepted
     */
    public static Instant parse(String text, Instant now, ZoneId zone) {
        String value = text.strip();
        if (!value.isEmpty() && value.length() <= MAX_TEXT) {
            if (value.length() == 10 && value.charAt(4) == '-') {
                try {
                    return LocalDate.parse(value).atStartOfDay(zone).toInstant();
                } catch (DateTimeParseException e) {
                    // not a date: the error below says what is
                }
            }
            ChronoUnit unit = switch (value.charAt(value.length() - 1)) {
                case 'd' -> ChronoUnit.DAYS;
                case 'h' -> ChronoUnit.HOURS;
                case 'm' -> ChronoUnit.MINUTES;
                default -> null;
            };
            String number = value.substring(0, value.length() - 1);
            if (unit != null && !number.isEmpty() && number.length() <= 6 && number.chars().allMatch(Character::isDigit)) {
                return now.minus(Long.parseLong(number) * unit.getDuration().getSeconds(), ChronoUnit.SECONDS);
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a period: use a time back from now such as 7d, "
                + "12h or 30m, or a date YYYY-MM-DD");
    }
}
