package org.openaimoodle.sidecar.supervisor.control;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code sidecarctl status} shows: a snapshot published by the supervisor after every change.
 *
 * @param state         STARTING, RUNNING, BACKOFF, STOPPING, STOPPED (or UNKNOWN on the client side)
 * @param supervisorPid the supervisor's pid, or null when none runs
 * @param workerPid     the worker's pid, or null when none runs
 * @param restarts      workers started after the first
 * @param uptimeSeconds how long the worker has been RUNNING
 * @param healthOk      the last probe's outcome, or null before the first probe
 * @param healthMillis  the last probe's latency
 * @param lastExit      the last worker's exit code, or null
 * @param logFile       the log file in use
 * @param message       a short human explanation (e.g. why it is BACKOFF), may be empty
 */
public record StatusReport(String state, Long supervisorPid, Long workerPid, int restarts, long uptimeSeconds,
        Boolean healthOk, long healthMillis, Integer lastExit, String logFile, String message) {

    /** The report when no supervisor runs. */
    public static StatusReport notRunning(String message) {
        return new StatusReport("STOPPED", null, null, 0, 0, null, 0, null, null, message);
    }

    /** The fields of {@code status --json} (snake_case, as DESIGN.md names them). */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("state", state);
        json.put("supervisor_pid", supervisorPid);
        json.put("worker_pid", workerPid);
        json.put("restarts", restarts);
        json.put("uptime_s", uptimeSeconds);
        json.put("health_ok", healthOk);
        json.put("health_ms", healthMillis);
        json.put("last_exit", lastExit);
        json.put("log_file", logFile);
        json.put("message", message);
        return json;
    }

    /** Parses what {@link #toJson()} wrote. */
    public static StatusReport fromJson(Map<String, Object> json) {
        return new StatusReport(String.valueOf(json.get("state")), asLong(json.get("supervisor_pid")),
                asLong(json.get("worker_pid")), asInt(json.get("restarts")), asLong0(json.get("uptime_s")),
                (Boolean) json.get("health_ok"), asLong0(json.get("health_ms")),
                json.get("last_exit") == null ? null : asInt(json.get("last_exit")),
                (String) json.get("log_file"), json.get("message") == null ? "" : (String) json.get("message"));
    }

    /** The one-line form: {@code openai-moodle-sidecar RUNNING pid 1234, uptime 0:12:03, restarts 2, health ok 12 ms}. */
    public String line() {
        StringBuilder line = new StringBuilder("openai-moodle-sidecar ").append(state);
        if ("RUNNING".equals(state)) {
            line.append(" pid ").append(workerPid).append(", uptime ").append(clock(uptimeSeconds))
                    .append(", restarts ").append(restarts).append(", health ")
                    .append(Boolean.FALSE.equals(healthOk) ? "failing" : "ok " + healthMillis + " ms");
        } else if (workerPid != null) {
            line.append(" pid ").append(workerPid).append(", restarts ").append(restarts);
        } else if (supervisorPid != null && !"UNKNOWN".equals(state)) {
            line.append(" restarts ").append(restarts);
            if (lastExit != null) {
                line.append(", last exit ").append(lastExit);
            }
        }
        if (message != null && !message.isEmpty()) {
            line.append(supervisorPid == null && workerPid == null ? " " : "; ").append(message);
        }
        return line.toString();
    }

    private static String clock(long seconds) {
        Duration uptime = Duration.ofSeconds(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", uptime.toHours(), uptime.toMinutesPart(),
                uptime.toSecondsPart());
    }

    private static Long asLong(Object value) {
        return value == null ? null : ((Number) value).longValue();
    }

    private static long asLong0(Object value) {
        return value == null ? 0 : ((Number) value).longValue();
    }

    private static int asInt(Object value) {
        return value == null ? 0 : ((Number) value).intValue();
    }
}
