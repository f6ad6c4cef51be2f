package org.openaimoodle.sidecar.worker.openai;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.openaimoodle.sidecar.worker.json.Json;

/**
 * A /v1 Chat Completions body and what goes upstream. The body is forwarded as sent — every field, every number
 * as written — with two exceptions: {@code model} when {@link ModelAliases} replace it, and, for a stream,
 * {@code stream_options.include_usage=true}, so that the final chunk carries the tokens the access line records
 * ({@link #clientWantsUsage()} says whether that chunk is passed on). Unchanged bodies are forwarded byte for byte.
 *
 * @param upstreamBody     what to send upstream
 * @param model            the model the client asked for, or null
 * @param upstreamModel    the model sent upstream: the alias when one replaced it, else {@code model}
 * @param user             the body's {@code user} (Moodle: a hash of site and user id), or null
 * @param stream           whether the client asked for a stream ({@code "stream": true})
 * @param clientWantsUsage whether the client itself asked for the usage chunk of a stream
 */
public record ChatRequest(byte[] upstreamBody, String model, String upstreamModel, String user, boolean stream, boolean clientWantsUsage) {

    /** The body is not a JSON object: 400 {@code invalid_json}. */
    public static final class NotAnObject extends Exception {
        NotAnObject() {
            super("The request body must be one JSON object (a Chat Completions request)");
        }
    }

    /**
     * @param body    the client's body
     * @param aliases model aliases
     * @return the request
     * @throws NotAnObject when the body is not one well-formed JSON object
     */
    public static ChatRequest parse(byte[] body, ModelAliases aliases) throws NotAnObject {
        Map<?, ?> root;
        try {
            if (!(Json.parse(body) instanceof Map<?, ?> map)) {
                throw new NotAnObject();
            }
            root = map;
        } catch (IOException e) {
            throw new NotAnObject();
        }
        String model = root.get("model") instanceof String text ? text : null;
        String user = root.get("user") instanceof String text ? text : null;
        boolean stream = Boolean.TRUE.equals(root.get("stream"));
        boolean wantsUsage = Boolean.TRUE.equals(Json.path(root, "stream_options", "include_usage"));
        Optional<String> alias = model == null ? Optional.empty() : aliases.replacement(model);
        if (alias.isEmpty() && (!stream || wantsUsage)) {
            return new ChatRequest(body, model, model, user, stream, wantsUsage);
        }
        try {
            byte[] rewritten = Json.rewrite(body, (in, out) -> copy(in, out, alias.orElse(null), stream));
            return new ChatRequest(rewritten, model, alias.orElse(model), user, stream, wantsUsage);
        } catch (IOException e) {
            throw new NotAnObject(); // parsed once already; cannot happen
        }
    }

    private static void copy(JsonParser in, JsonGenerator out, String model, boolean stream) throws IOException {
        in.nextToken();
        out.writeStartObject();
        boolean streamOptions = false;
        while (in.nextToken() == JsonToken.FIELD_NAME) {
            String name = in.currentName();
            JsonToken value = in.nextToken();
            if (name.equals("model") && model != null && value == JsonToken.VALUE_STRING) {
                out.writeStringField("model", model);
            } else if (name.equals("stream_options") && stream && value == JsonToken.START_OBJECT) {
                streamOptions = true;
                out.writeFieldName(name);
                copyStreamOptions(in, out);
            } else {
                out.writeFieldName(name);
                copyValue(in, out);
            }
        }
        if (stream && !streamOptions) {
            out.writeObjectFieldStart("stream_options");
            out.writeBooleanField("include_usage", true);
            out.writeEndObject();
        }
        out.writeEndObject();
    }

    private static void copyStreamOptions(JsonParser in, JsonGenerator out) throws IOException {
        out.writeStartObject();
        while (in.nextToken() == JsonToken.FIELD_NAME) {
            String name = in.currentName();
            in.nextToken();
            if (name.equals("include_usage")) {
                in.skipChildren();
            } else {
                out.writeFieldName(name);
                copyValue(in, out);
            }
        }
        out.writeBooleanField("include_usage", true);
        out.writeEndObject();
    }

    /** Copies the value at the parser's token; numbers keep their text ({@code 1e2} stays {@code 1e2}). */
    private static void copyValue(JsonParser in, JsonGenerator out) throws IOException {
        int depth = 0;
        do {
            switch (in.currentToken()) {
                case START_OBJECT, START_ARRAY -> {
                    depth++;
                    out.copyCurrentEvent(in);
                }
                case END_OBJECT, END_ARRAY -> {
                    depth--;
                    out.copyCurrentEvent(in);
                }
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> out.writeNumber(in.getText());
                default -> out.copyCurrentEvent(in);
            }
        } while (depth > 0 && in.nextToken() != null);
    }
}
