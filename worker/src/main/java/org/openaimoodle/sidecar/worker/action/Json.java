package org.openaimoodle.sidecar.worker.action;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The process's one Jackson mapper (thread-safe once configured, and costly to build twice). */
public final class Json {
    /** Shared mapper with default settings. */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }
}
