package org.openaimoodle.sidecar.supervisor.control;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.openaimoodle.sidecar.supervisor.supervision.ExitReason;
import org.openaimoodle.sidecar.supervisor.supervision.Replacement;
import org.openaimoodle.sidecar.supervisor.supervision.SupervisorState;
import org.openaimoodle.sidecar.supervisor.supervision.WorkerExit;

/**
 * What {@code sidecarctl status} shows: a snapshot published by the supervisor after every change, or
 * what the client knows when no supervisor answers.
 *
 * @param presence      whether a supervisor answered, none runs, or one runs but does not answer
 * @param state         the supervisor's state; STOPPED when none runs; null only when it does not answer
 * @param supervisorPid the supervisor's pid, or null when none runs
 * @param workerPid     the worker's pid, or null when none runs
 * @param workerId      the id the supervisor gave its worker (the worker echoes it in {@code /health}), or null
 * @param restarts      workers started after the first
 * @param uptimeSeconds how long the worker has been RUNNING
 * @param healthOk      the last probe's outcome, or null before the first probe
 * @param healthMillis  the last probe's latency
 * @param portTaken     the last probe was answered by another process, not by our worker
 * @param workerRssKb   the worker's resident memory in KiB, or null when unknown
 * @param lastExit      how the last worker ended, or null
 * @param logFile       the log file in use
 * @param message       a short human explanation (e.g. why it is BACKOFF), may be empty
 * @param replacement   the latest zero-downtime replacement (restart, reload, memory guard), or null
 */
public record StatusReport(Presence presence, SupervisorState state, Long supervisorPid, Long workerPid,
        String workerId, int restarts, long uptimeSeconds, Boolean healthOk, long healthMillis, boolean portTaken,
        Long workerRssKb, WorkerExit lastExit, String logFile, String message, Replacement replacement) {

    /** A report without a replacement. */
    public StatusReport(Presence presence, SupervisorState state, Long supervisorPid, Long workerPid,
            String workerId, int restarts, long uptimeSeconds, Boolean healthOk, long healthMillis, boolean portTaken,
            Long workerRssKb, WorkerExit lastExit, String logFile, String message) {
        this(presence, state, supervisorPid, workerPid, workerId, restarts, uptimeSeconds, healthOk, healthMillis,
                portTaken, workerRssKb, lastExit, logFile, message, null);
    }

    /** Who the report comes from. */
    public enum Presence {
        /** The running supervisor answered on its control socket. */
        ANSWERED,
        /** No supervisor runs (none is recorded alive in the run directory). */
        NOT_RUNNING,
        /** A supervisor process runs but does not answer on its control socket (shown as UNKNOWN). */
        NOT_ANSWERING
    }

    /** The report when no supervisor runs. */
    public static StatusReport notRunning(String message) {
        return new StatusReport(Presence.NOT_RUNNING, SupervisorState.STOPPED, null, null, null, 0, 0, null, 0, false,
                null, null, null, message);
    }

    /** The report when supervisor {@code pid} runs but does not answer. */
    public static StatusReport notAnswering(long pid, String message) {
        return new StatusReport(Presence.NOT_ANSWERING, null, pid, null, null, 0, 0, null, 0, false, null, null, null,
                message);
    }

    /** This report with the worker's resident memory measured now. */
    public StatusReport withWorkerRssKb(Long rssKb) {
        return new StatusReport(presence, state, supervisorPid, workerPid, workerId, restarts, uptimeSeconds, healthOk,
                healthMillis, portTaken, rssKb, lastExit, logFile, message, replacement);
    }

    /** Whether the supervisor reports a RUNNING (healthy) worker. */
    public boolean running() {
        return presence == Presence.ANSWERED && state != null && state.shown() == SupervisorState.RUNNING;
    }

    /**
     * The state's name as shown: supervisord's ({@link SupervisorState#shown()}: REPLACING is RUNNING, the old
     * worker serves), or UNKNOWN when the supervisor does not answer.
     */
    public String stateName() {
        return state == null ? "UNKNOWN" : state.shown().name();
    }

    /** The fields of {@code status --json} (snake_case, as the README's "Commands and exit codes" lists them). */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("state", stateName());
        json.put("supervisor_pid", supervisorPid);
        json.put("worker_pid", workerPid);
        json.put("worker_id", workerId);
        json.put("restarts", restarts);
        json.put("uptime_s", uptimeSeconds);
        json.put("health_ok", healthOk);
        json.put("health_ms", healthMillis);
        json.put("port_taken", portTaken);
        json.put("worker_rss_kb", workerRssKb);
        json.put("worker_rss_bytes", workerRssKb == null ? null : workerRssKb * 1024);
        json.put("last_exit", lastExit == null ? null : lastExitJson(lastExit));
        json.put("log_file", logFile);
        json.put("message", message);
        json.put("replacement", replacement == null ? null : replacementJson(replacement));
        return json;
    }

    /**
     * Parses the supervisor's answer (what {@link #toJson()} wrote).
     *
     * @throws IllegalArgumentException when the state is not one of {@link SupervisorState}
     */
    public static StatusReport fromJson(Map<String, Object> json) {
        return new StatusReport(Presence.ANSWERED, SupervisorState.valueOf(String.valueOf(json.get("state"))),
                asLong(json.get("supervisor_pid")), asLong(json.get("worker_pid")), (String) json.get("worker_id"),
                asInt(json.get("restarts")), asLong0(json.get("uptime_s")), (Boolean) json.get("health_ok"),
                asLong0(json.get("health_ms")), Boolean.TRUE.equals(json.get("port_taken")),
                asLong(json.get("worker_rss_kb")), lastExitFromJson(json.get("last_exit")),
                (String) json.get("log_file"), json.get("message") == null ? "" : (String) json.get("message"),
                replacementFromJson(json.get("replacement")));
    }

    private static Map<String, Object> replacementJson(Replacement replacement) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", replacement.id());
        json.put("outcome", replacement.outcome().shownName());
        json.put("reason", replacement.reason().shownName());
        json.put("message", replacement.message());
        return json;
    }

    private static Replacement replacementFromJson(Object value) {
        if (!(value instanceof Map<?, ?> json)) {
            return null;
        }
        return new Replacement(asLong0(json.get("id")),
                Replacement.Outcome.valueOf(String.valueOf(json.get("outcome")).toUpperCase(Locale.ROOT)),
                ExitReason.ofShownName(String.valueOf(json.get("reason"))), String.valueOf(json.get("message")));
    }

    private static Map<String, Object> lastExitJson(WorkerExit exit) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("code", exit.exitCode());
        json.put("signal", exit.signal());
        json.put("reason", exit.reason().shownName());
        json.put("seconds_ago", exit.ago().toSeconds());
        return json;
    }

    private static WorkerExit lastExitFromJson(Object value) {
        if (!(value instanceof Map<?, ?> json)) {
            return null;
        }
        int code = json.get("signal") == null ? asInt(json.get("code")) : 128 + asInt(json.get("signal"));
        return new WorkerExit(code, ExitReason.ofShownName(String.valueOf(json.get("reason"))),
                Duration.ofSeconds(asLong0(json.get("seconds_ago"))));
    }

    /**
     * The one-line form: {@code openai-moodle-sidecar RUNNING pid 1234, uptime 0:12:03, restarts 2, health ok 12 ms,
     * rss 61 MB, last exit signal 9 (crashed) 0:00:42 ago}.
     */
    public String line() {
        StringBuilder line = new StringBuilder("openai-moodle-sidecar ").append(stateName());
        if (running()) {
            line.append(" pid ").append(workerPid).append(", uptime ").append(clock(uptimeSeconds))
                    .append(", restarts ").append(restarts).append(", health ")
                    .append(Boolean.FALSE.equals(healthOk) ? "failing" : "ok " + healthMillis + " ms")
                    .append(", rss ").append(workerRssKb == null ? "-" : Math.round(workerRssKb / 1024.0) + " MB");
        } else if (workerPid != null) {
            line.append(" pid ").append(workerPid).append(", restarts ").append(restarts);
        } else if (presence == Presence.ANSWERED) {
            line.append(" restarts ").append(restarts);
        }
        if (presence == Presence.ANSWERED && lastExit != null) {
            line.append(", last exit ").append(lastExit.signal() == null ? "code " + lastExit.code()
                    : "signal " + lastExit.signal()).append(" (").append(lastExit.reason().shownName()).append(") ")
                    .append(clock(lastExit.ago().toSeconds())).append(" ago");
        }
        if (message != null && !message.isEmpty()) {
            line.append(supervisorPid == null && workerPid == null ? " " : "; ").append(message);
        }
        return line.toString();
    }

    /**
     * {@code 1:02:03}, as {@code String.format(Locale.ROOT, "%d:%02d:%02d", ...)} writes it, without a
     * {@link java.util.Formatter}: its first use loads the locale data providers (a service lookup that opens every
     * jar on the class path), a noticeable part of a {@code sidecarctl status} that lives ~100 ms.
     */
    static String clock(long seconds) {
        Duration uptime = Duration.ofSeconds(seconds);
        return uptime.toHours() + ":" + twoDigits(uptime.toMinutesPart()) + ":" + twoDigits(uptime.toSecondsPart());
    }

    /** {@code %02d}: zero-padded to two digits; a negative number keeps its sign and is not padded further. */
    private static String twoDigits(int value) {
        return value >= 0 && value < 10 ? "0" + value : Integer.toString(value);
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
