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
 * The control protocol's messages: one JSON object per line (strings, numbers, booleans, null, and objects of
 * those one level deep, such as {@code status}'s {@code last_exit}). Jackson's streaming API does the escaping
 * and parsing; deeper nesting and arrays are skipped, so a hostile line cannot recurse.
 */
public final class ControlJson {
    private static final JsonFactory FACTORY = new JsonFactory();

    private ControlJson() {
    }

    /** One compact JSON line (without the newline). */
    public static String write(Map<String, ?> message) {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = FACTORY.createGenerator(out)) {
            writeObject(json, message, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    private static void writeObject(JsonGenerator json, Map<?, ?> message, boolean top) throws IOException {
        json.writeStartObject();
        for (Map.Entry<?, ?> field : message.entrySet()) {
            Object value = field.getValue();
            json.writeFieldName(String.valueOf(field.getKey()));
            if (top && value instanceof Map<?, ?> nested) {
                writeObject(json, nested, false);
            } else if (value == null) {
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
    }

    /**
     * Reads one JSON object; objects one level deep are read as maps, deeper values and arrays are skipped.
     *
     * @throws IOException when {@code line} is not a JSON object
     */
    public static Map<String, Object> read(String line) throws IOException {
        Map<String, Object> message = new LinkedHashMap<>();
        try (JsonParser json = FACTORY.createParser(line)) {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("expected a JSON object");
            }
            readFields(json, message, true);
        }
        return message;
    }

    private static void readFields(JsonParser json, Map<String, Object> message, boolean top) throws IOException {
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String name = json.currentName();
            JsonToken token = json.nextToken();
            switch (token) {
                case VALUE_STRING -> message.put(name, json.getText());
                case VALUE_NUMBER_INT -> message.put(name, json.getLongValue());
                case VALUE_NUMBER_FLOAT -> message.put(name, json.getDoubleValue());
                case VALUE_TRUE, VALUE_FALSE -> message.put(name, json.getBooleanValue());
                case VALUE_NULL -> message.put(name, null);
                case START_OBJECT -> {
                    if (top) {
                        Map<String, Object> nested = new LinkedHashMap<>();
                        readFields(json, nested, false);
                        message.put(name, nested);
                    } else {
                        json.skipChildren();
                    }
                }
                default -> json.skipChildren();
            }
        }
    }
}
