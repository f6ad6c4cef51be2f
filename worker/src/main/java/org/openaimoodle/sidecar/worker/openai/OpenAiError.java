package org.openaimoodle.sidecar.worker.openai;

import org.openaimoodle.sidecar.worker.action.ErrorCode;
import org.openaimoodle.sidecar.worker.json.Json;
import org.openaimoodle.sidecar.worker.upstream.UpstreamException;

/**
 * The sidecar's own /v1 failures in OpenAI's error shape, {@code {"error":{"message","type","param","code"}}},
 * with {@code code} the sidecar's error code, so that OpenAI clients (Moodle shows {@code error.message}) and
 * the SDKs read them as they read OpenAI's own.
 *
 * @param status  the HTTP status
 * @param code    the sidecar's code
 * @param message for people: what failed and what to do
 */
public record OpenAiError(int status, ErrorCode code, String message) {

    /** @return the failure of an upstream call, with the status the README's /v1 section gives its kind */
    public static OpenAiError of(UpstreamException e) {
        ErrorCode code = ErrorCode.of(e.kind());
        int status = switch (code) {
            case UPSTREAM_RATE_LIMITED -> 429;
            case UPSTREAM_TIMEOUT -> 504;
            case UNAVAILABLE -> 503;
            default -> 502;
        };
        return new OpenAiError(status, code, e.getMessage());
    }

    /** @return OpenAI's {@code error.type} for the status */
    public String type() {
        return switch (status) {
            case 401 -> "authentication_error";
            case 429 -> "rate_limit_error";
            default -> status < 500 ? "invalid_request_error" : "server_error";
        };
    }

    /** @return the error body, compact UTF-8 JSON */
    public byte[] toJson() {
        return Json.toBytes(out -> {
            out.writeStartObject();
            out.writeObjectFieldStart("error");
            writeFields(out);
            out.writeEndObject();
            out.writeEndObject();
        });
    }

    private void writeFields(com.fasterxml.jackson.core.JsonGenerator out) throws java.io.IOException {
        out.writeStringField("message", message);
        out.writeStringField("type", type());
        out.writeNullField("param");
        out.writeStringField("code", code.wire());
    }
}
