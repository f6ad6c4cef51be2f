package org.openaimoodle.sidecar.worker.action;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ActionRequestTest {
    private static ActionRequest parse(String json) throws ActionRequest.Invalid {
        return ActionRequest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static ActionRequest.Invalid invalid(String json) {
        return assertThrows(ActionRequest.Invalid.class, () -> parse(json));
    }

    @Test
    void numericUserIdAndNullContextAreAccepted() throws Exception {
        ActionRequest request = parse("{\"action\":\"chat\",\"content\":\"hi\",\"context\":null,\"user_id\":42}");
        assertEquals(ActionRequest.Action.CHAT, request.action());
        assertEquals("42", request.userId());
        assertNull(request.context());
    }

    @Test
    void unknownFieldsAreIgnored() throws Exception {
        ActionRequest request = parse("{\"action\":\"analyze\",\"content\":\"x\",\"courseid\":7,\"user_id\":\"u1\"}");
        assertEquals(ActionRequest.Action.ANALYZE, request.action());
        assertEquals("u1", request.userId());
    }

    @Test
    void notAnObjectIsInvalidJson() {
        for (String body : new String[] {"", "nope", "[1,2]", "\"chat\"", "{\"action\":", "null"}) {
            ActionRequest.Invalid e = invalid(body);
            assertEquals(ErrorCode.INVALID_JSON, e.reply().code(), body);
            assertEquals("Invalid JSON request", e.reply().error());
        }
    }

    @Test
    void unknownActionIsNamed() {
        ActionRequest.Invalid e = invalid("{\"action\":\"translate\",\"content\":\"x\",\"user_id\":5}");
        assertEquals(ErrorCode.UNKNOWN_ACTION, e.reply().code());
        assertTrue(e.reply().error().contains("Unknown action"), e.reply().error());
        assertEquals("translate", e.action());
        assertEquals("5", e.userId());
    }

    @Test
    void missingEmptyOrWrongTypedContentIsInvalidRequest() {
        for (String body : new String[] {
                "{\"action\":\"chat\"}",
                "{\"action\":\"chat\",\"content\":\"\"}",
                "{\"action\":\"chat\",\"content\":\"   \"}",
                "{\"action\":\"chat\",\"content\":null}",
                "{\"action\":\"chat\",\"content\":12}",
                "{\"action\":\"chat\",\"content\":[\"a\"]}",
                "{\"action\":7,\"content\":\"x\"}",
                "{\"content\":\"x\"}",
                "{\"action\":\"chat\",\"content\":\"x\",\"context\":{}}",
                "{\"action\":\"chat\",\"content\":\"x\",\"user_id\":{\"id\":1}}"}) {
            assertEquals(ErrorCode.INVALID_REQUEST, invalid(body).reply().code(), body);
        }
    }
}
