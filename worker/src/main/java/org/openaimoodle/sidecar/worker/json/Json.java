package org.openaimoodle.sidecar.worker.json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;

/**
 * JSON in and out over Jackson's streaming core only. Why not databind: stdio mode starts a JVM per
 * request, and loading and initializing databind's ObjectMapper is a large share of that round trip's CPU
 * (BENCHMARKS.md, "What mattered"); the documents here are a handful of fields.
 *
 * <p>Parsed values are plain Java: {@code Map<String, Object>} (in document order), {@code List<Object>},
 * {@code String}, {@link JsonNumber}, {@code Boolean} and {@code null}.
 */
public final class Json {
    /**
     * Buffers come from one shared pool, not Jackson's default per-thread one: every request runs on its own
     * virtual thread, so a per-thread pool allocated fresh buffers for every request and kept them
     * reachable (through the thread) while the request waited for the upstream. With many requests in
     * flight that filled the heap and the worker spent most of its time in full GCs (BENCHMARKS.md,
     * "What mattered").
     */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
            .build();

    private Json() {
    }

    /** A JSON number, kept as written (a user id 42 stays "42", not 42.0). */
    public record JsonNumber(String text) {
    }

    /** Writes one JSON document to a generator. */
    @FunctionalInterface
    public interface Document {
        /** @param out the generator to write to */
        void writeTo(JsonGenerator out) throws IOException;
    }

    /**
     * @param bytes one UTF-8 JSON document
     * @return the value
     * @throws IOException when it is not exactly one well-formed JSON value in well-formed UTF-8
     */
    public static Object parse(byte[] bytes) throws IOException {
        requireWellFormedUtf8(bytes);
        try (JsonParser parser = FACTORY.createParser(bytes)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new JsonParseException(parser, "no JSON value");
            }
            Object value = read(parser, first);
            if (parser.nextToken() != null) {
                throw new JsonParseException(parser, "more than one JSON value");
            }
            return value;
        }
    }

    /**
     * Follows object keys and array indexes from a parsed value.
     *
     * @param root  a parsed value
     * @param steps String keys and Integer indexes
     * @return the value found, or null when any step is missing or of the wrong kind
     */
    public static Object path(Object root, Object... steps) {
        Object current = root;
        for (Object step : steps) {
            if (step instanceof String key && current instanceof Map<?, ?> map) {
                current = map.get(key);
            } else if (step instanceof Integer index && current instanceof List<?> list && index < list.size()) {
                current = list.get(index);
            } else {
                return null;
            }
        }
        return current;
    }

    /** @return the document as compact UTF-8 JSON */
    public static byte[] toBytes(Document document) {
        return toBytes(256, document);
    }

    /**
     * @param sizeHint the expected size: a buffer of it is filled without growing (a large document grown from a
     *                 small buffer would pass through copies of up to twice its size)
     * @return the document as compact UTF-8 JSON
     */
    public static byte[] toBytes(int sizeHint, Document document) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, sizeHint));
        try (JsonGenerator generator = FACTORY.createGenerator(out)) {
            document.writeTo(generator);
        } catch (IOException e) {
            throw new IllegalStateException("writing JSON to memory cannot fail", e);
        }
        return out.toByteArray();
    }

    /** Copies one document from a parser to a generator, changing what it wants to. */
    @FunctionalInterface
    public interface Rewrite {
        /**
         * @param in  positioned before the document's first token
         * @param out where the rewritten document goes
         */
        void copy(JsonParser in, JsonGenerator out) throws IOException;
    }

    /**
     * @param bytes one UTF-8 JSON document, already checked by {@link #parse}
     * @return the rewritten document as compact UTF-8 JSON
     * @throws IOException when the document is not well-formed
     */
    public static byte[] rewrite(byte[] bytes, Rewrite rewrite) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + 64);
        try (JsonParser parser = FACTORY.createParser(bytes); JsonGenerator generator = FACTORY.createGenerator(out)) {
            rewrite.copy(parser, generator);
        }
        return out.toByteArray();
    }

    /** @return the document as a compact JSON string */
    public static String toText(Document document) {
        return new String(toBytes(document), StandardCharsets.UTF_8);
    }

    /**
     * Jackson's UTF-8 parser takes some malformed input for text (overlong forms such as {@code C0 AF} for
     * {@code /}, which can slip a character past a byte-level filter), so the bytes are checked first with
     * the JDK's strict decoder. ASCII needs no check; the decoded text itself is thrown away in small pieces.
     */
    private static void requireWellFormedUtf8(byte[] bytes) throws CharacterCodingException {
        int first = 0;
        while (first < bytes.length && bytes[first] >= 0) {
            first++;
        }
        if (first == bytes.length) {
            return;
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder(); // reports malformed input
        ByteBuffer in = ByteBuffer.wrap(bytes, first, bytes.length - first);
        CharBuffer out = CharBuffer.allocate(1024);
        CoderResult result;
        do {
            out.clear();
            result = decoder.decode(in, out, true);
            if (result.isError()) {
                result.throwException();
            }
        } while (result.isOverflow());
        out.clear();
        result = decoder.flush(out);
        if (result.isError()) {
            result.throwException();
        }
    }

    private static Object read(JsonParser parser, JsonToken token) throws IOException {
        if (token == null) {
            throw new JsonParseException(parser, "unexpected end of input");
        }
        return switch (token) {
            case START_OBJECT -> {
                Map<String, Object> object = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    object.put(name, read(parser, parser.nextToken()));
                }
                yield object;
            }
            case START_ARRAY -> {
                List<Object> array = new ArrayList<>();
                JsonToken next;
                while ((next = parser.nextToken()) != JsonToken.END_ARRAY) {
                    array.add(read(parser, next));
                }
                yield array;
            }
            case VALUE_STRING -> parser.getText();
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> new JsonNumber(parser.getText());
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw new JsonParseException(parser, "unexpected " + token);
        };
    }
}
