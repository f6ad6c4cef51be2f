package org.openaimoodle.sidecar.worker.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class ChatRequestTest {
    static final ModelAliases ALIASES = ModelAliases.parse(List.of("gpt-4o=adorsys", "*=catch-all"));

    static ChatRequest parse(String body, ModelAliases aliases) throws Exception {
        return ChatRequest.parse(body.getBytes(StandardCharsets.UTF_8), aliases);
    }

    static String upstream(ChatRequest request) {
        return new String(request.upstreamBody(), StandardCharsets.UTF_8);
    }

    @Test
    void aliasesReplaceExactNamesThenTheStarAndNothingWithoutThem() {
        assertEquals(Optional.of("adorsys"), ALIASES.replacement("gpt-4o"));
        assertEquals(Optional.of("catch-all"), ALIASES.replacement("gpt-4.1"));
        assertEquals(Optional.empty(), ModelAliases.parse(List.of("gpt-4o=adorsys")).replacement("gpt-4.1"));
        assertSame(ModelAliases.NONE, ModelAliases.parse(List.of()));
        assertThrows(IllegalArgumentException.class, () -> ModelAliases.parse(List.of("gpt-4o")));
        assertThrows(IllegalArgumentException.class, () -> ModelAliases.parse(List.of("=x")));
    }

    @Test
    void unchangedBodyIsForwardedByteForByte() throws Exception {
        byte[] body = "{ \"model\" : \"m\", \"top_p\": 0.10, \"user\":\"u\" }".getBytes(StandardCharsets.UTF_8);
        ChatRequest request = ChatRequest.parse(body, ModelAliases.NONE);
        assertSame(body, request.upstreamBody());
        assertEquals("u", request.user());
        assertEquals("m", request.upstreamModel());
        assertFalse(request.stream());
    }

    @Test
    void aliasRewritesOnlyTheModelKeepingNumbersAsWritten() throws Exception {
        ChatRequest request = parse("{\"model\":\"gpt-4o\",\"top_p\":0.10,\"n\":1e2,\"x\":{\"model\":\"gpt-4o\"}}",
                ALIASES);
        assertEquals("{\"model\":\"adorsys\",\"top_p\":0.10,\"n\":1e2,\"x\":{\"model\":\"gpt-4o\"}}", upstream(request));
        assertEquals("gpt-4o", request.model());
        assertEquals("adorsys", request.upstreamModel(), "the usage record names the model sent upstream");
    }

    @Test
    void streamAsksForUsageKeepingTheClientsOtherStreamOptions() throws Exception {
        ChatRequest plain = parse("{\"model\":\"m\",\"stream\":true}", ModelAliases.NONE);
        assertEquals("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}", upstream(plain));
        assertFalse(plain.clientWantsUsage());
        ChatRequest options = parse("{\"stream_options\":{\"include_usage\":false,\"other\":1},\"stream\":true}",
                ModelAliases.NONE);
        assertEquals("{\"stream_options\":{\"other\":1,\"include_usage\":true},\"stream\":true}", upstream(options));
        ChatRequest asked = parse("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}", ModelAliases.NONE);
        assertTrue(asked.clientWantsUsage());
    }

    @Test
    void anythingButOneJsonObjectIsRefused() {
        for (String body : new String[] {"[1]", "\"x\"", "{", "{} {}", ""}) {
            assertThrows(ChatRequest.NotAnObject.class, () -> parse(body, ALIASES), body);
        }
    }
}
