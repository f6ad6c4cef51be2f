package org.openaimoodle.sidecar.worker.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {
    private static Object parse(String json) throws IOException {
        return Json.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parsesIntoPlainJavaValues() throws IOException {
        Object value = parse("{\"s\":\"x\",\"n\":42,\"f\":1.50,\"b\":true,\"z\":null,\"a\":[1,{\"k\":\"v\"}]}");
        Map<?, ?> map = (Map<?, ?>) value;
        assertEquals("x", map.get("s"));
        assertEquals(new Json.JsonNumber("42"), map.get("n"));
        assertEquals(new Json.JsonNumber("1.50"), map.get("f"));
        assertEquals(Boolean.TRUE, map.get("b"));
        assertTrue(map.containsKey("z"));
        assertNull(map.get("z"));
        assertEquals("v", Json.path(value, "a", 1, "k"));
        assertEquals(List.of("s", "n", "f", "b", "z", "a"), List.copyOf(map.keySet()));
    }

    @Test
    void pathIsNullWhenAnyStepIsMissing() throws IOException {
        Object value = parse("{\"choices\":[]}");
        assertNull(Json.path(value, "choices", 0, "message", "content"));
        assertNull(Json.path(value, "choices", "x"));
        assertNull(Json.path("text", "key"));
    }

    @Test
    void rejectsAnythingButOneWellFormedValue() {
        for (String bad : new String[] {"", "   ", "{", "{\"a\":", "{\"a\":1", "[1,", "{} {}", "{\"a\":1} x", "nope",
                "{'a':1}"}) {
            assertThrows(IOException.class, () -> parse(bad), bad);
        }
    }

    @Test
    void writesCompactUtf8WithNullsAndEscapes() {
        String text = Json.toText(out -> {
            out.writeStartObject();
            out.writeStringField("q", "say \"hi\"\n");
            out.writeStringField("none", null);
            out.writeStringField("u", "Grüße ✓");
            out.writeNumberField("n", 7);
            out.writeEndObject();
        });
        assertEquals("{\"q\":\"say \\\"hi\\\"\\n\",\"none\":null,\"u\":\"Grüße ✓\",\"n\":7}", text);
    }

    @Test
    void rejectsMalformedUtf8ThatJacksonWouldTakeForText() throws IOException {
        byte[] prefix = "{\"content\":\"a".getBytes(StandardCharsets.US_ASCII);
        byte[][] malformed = {
            {(byte) 0xC0, (byte) 0xAF},                          // overlong '/'
            {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},             // overlong '/', three bytes
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80},             // a UTF-16 surrogate encoded in UTF-8
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // beyond U+10FFFF
            {(byte) 0x80},                                       // a lone continuation byte
            {(byte) 0xC3},                                       // a truncated sequence
        };
        for (byte[] bad : malformed) {
            byte[] document = new byte[prefix.length + bad.length + 2];
            System.arraycopy(prefix, 0, document, 0, prefix.length);
            System.arraycopy(bad, 0, document, prefix.length, bad.length);
            document[document.length - 2] = '"';
            document[document.length - 1] = '}';
            assertThrows(IOException.class, () -> Json.parse(document), java.util.HexFormat.of().formatHex(bad));
        }
        assertEquals("aGrüße ✓𝄞", Json.path(Json.parse("{\"content\":\"aGrüße ✓𝄞\"}"
                .getBytes(StandardCharsets.UTF_8)), "content"));
    }
}
