package org.openaimoodle.sidecar.supervisor.control;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * The control protocol's messages: one flat JSON object per line (strings, numbers, booleans, null).
 * Jackson's streaming API does the escaping and parsing; a flat map is all the protocol needs.
 */
public final class ControlJson {
    private static final JsonFactory FACTORY = new JsonFactory();

    private ControlJson() {
    }

    /** One compact JSON line (without the newline). */
    public static String write(Map<String, ?> message) {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = FACTORY.createGenerator(out)) {
            json.writeStartObject();
            for (Map.Entry<String, ?> field : message.entrySet()) {
                Object value = field.getValue();
                json.writeFieldName(field.getKey());
                if (value == null) {
                    json.writeNull();
                } else if (value instanceof Boolean flag) {
                    json.writeBoolean(flag);
                } else if (value instanceof Integer || value instanceof Long) {
                    json.writeNumber(((Number) value).longValue());
                } else if (value instanceof Number number) {
                    json.writeNumber(number.doubleValue());
                } else {
                    json.writeString(value.toString());
                }
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    /**
     * Reads one flat JSON object; nested values are skipped.
     *
     * @throws IOException when {@code line} is not a JSON object
     */
    public static Map<String, Object> read(String line) throws IOException {
        Map<String, Object> message = new LinkedHashMap<>();
        try (JsonParser json = FACTORY.createParser(line)) {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("expected a JSON object");
            }
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String name = json.currentName();
                JsonToken token = json.nextToken();
                switch (token) {
                    case VALUE_STRING -> message.put(name, json.getText());
                    case VALUE_NUMBER_INT -> message.put(name, json.getLongValue());
                    case VALUE_NUMBER_FLOAT -> message.put(name, json.getDoubleValue());
                    case VALUE_TRUE, VALUE_FALSE -> message.put(name, json.getBooleanValue());
                    case VALUE_NULL -> message.put(name, null);
                    default -> json.skipChildren();
                }
            }
        }
        return message;
    }
}
