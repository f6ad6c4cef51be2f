package org.openaimoodle.sidecar.supervisor.config;

import java.util.List;

import org.openaimoodle.sidecar.common.Setting;
import org.openaimoodle.sidecar.common.SharedSettings;

/**
 * The supervisor's settings table, in the README's order ("Supervisor settings"): one row per setting, read into
 * {@link SupervisorConfig} by {@link ConfigLoader}. A new setting is one row here and one component there.
 */
public final class SupervisorSettings {
    private static final Setting.Table TABLE = new Setting.Table();
    /** Durations the supervisor waits for: from a hundredth of a second to a day. */
    private static final String SHORTEST = "0.01";
    private static final String LONGEST = "1d";

    public static final Setting SIDECAR_HOST = TABLE.add(SharedSettings.SIDECAR_HOST);
    public static final Setting SIDECAR_PORT = TABLE.add(SharedSettings.SIDECAR_PORT);
    public static final Setting SIDECAR_LOG_FILE = TABLE.add(Setting.text("SIDECAR_LOG_FILE", null,
            "the log file").shownAs(SupervisorConfig.DEFAULT_LOG_FILE.toString()));
    public static final Setting SIDECAR_RUN_DIR = TABLE.add(Setting.text("SIDECAR_RUN_DIR", null,
            "lock, control socket, pid files").shownAs("/run/openai-sidecar"));
    public static final Setting SIDECAR_HEALTH_INTERVAL = TABLE.add(Setting.duration("SIDECAR_HEALTH_INTERVAL", "2",
            SHORTEST, LONGEST, "time between probes of a RUNNING worker"));
    public static final Setting SIDECAR_HEALTH_TIMEOUT = TABLE.add(Setting.duration("SIDECAR_HEALTH_TIMEOUT", "1",
            SHORTEST, LONGEST, "a probe that takes longer failed"));
    public static final Setting SIDECAR_HEALTH_FAILURES = TABLE.add(Setting.integer("SIDECAR_HEALTH_FAILURES", 3, 1,
            1000, "failed probes in a row that make a worker count as hung"));
    public static final Setting SIDECAR_START_TIMEOUT = TABLE.add(Setting.duration("SIDECAR_START_TIMEOUT", "30",
            SHORTEST, LONGEST, "time a starting worker has to answer /health"));
    public static final Setting SIDECAR_REQUEST_TIMEOUT = TABLE.add(SharedSettings.SIDECAR_REQUEST_TIMEOUT);
    public static final Setting SIDECAR_STOP_TIMEOUT = TABLE.add(Setting.duration("SIDECAR_STOP_TIMEOUT", null,
            SHORTEST, LONGEST, "time between SIGTERM and SIGKILL when stopping the worker")
            .shownAs("SIDECAR_REQUEST_TIMEOUT + 5"));
    public static final Setting SIDECAR_BACKOFF_INITIAL = TABLE.add(Setting.duration("SIDECAR_BACKOFF_INITIAL", "0.5",
            SHORTEST, LONGEST, "delay before the first restart; doubles with each further one"));
    public static final Setting SIDECAR_BACKOFF_MAX = TABLE.add(Setting.duration("SIDECAR_BACKOFF_MAX", "30",
            SHORTEST, LONGEST, "longest restart delay"));
    public static final Setting SIDECAR_BACKOFF_RESET = TABLE.add(Setting.duration("SIDECAR_BACKOFF_RESET", "60",
            SHORTEST, LONGEST, "health after which the delay starts again at the initial one"));
    public static final Setting SIDECAR_WORKER_MAX_RSS = TABLE.add(Setting.text("SIDECAR_WORKER_MAX_RSS", "512m",
            "worker resident memory above which it is replaced (two probes in a row); 0 off"));
    public static final Setting SIDECAR_WORKER_COMMAND = TABLE.add(Setting.words("SIDECAR_WORKER_COMMAND", null,
            "the worker command").shownAs("<launcher dir>/openai-moodle-sidecar --http-mode"));
    public static final Setting SIDECAR_USAGE_DB = TABLE.add(SharedSettings.SIDECAR_USAGE_DB);
    public static final Setting SIDECAR_PRICES = TABLE.add(Setting.list("SIDECAR_PRICES", null,
            "gpt-4o-mini=0.15/0.60,…: USD per million prompt/completion tokens, for the usage report's cost"));
    public static final Setting SIDECAR_REDIS_URL = TABLE.add(SharedSettings.SIDECAR_REDIS_URL);
    public static final Setting SIDECAR_REDIS_PREFIX = TABLE.add(SharedSettings.SIDECAR_REDIS_PREFIX);
    public static final Setting SIDECAR_CONFIG = TABLE.add(SharedSettings.SIDECAR_CONFIG);
    public static final Setting OPENAI_API_KEY = TABLE.add(SharedSettings.OPENAI_API_KEY);
    public static final Setting SIDECAR_TOKEN = TABLE.add(SharedSettings.SIDECAR_TOKEN);
    public static final Setting OPENAI_BASE_URL = TABLE.add(SharedSettings.OPENAI_BASE_URL);

    /** Every supervisor setting, in order. */
    public static final List<Setting> ALL = TABLE.rows();

    private SupervisorSettings() {
    }
}
