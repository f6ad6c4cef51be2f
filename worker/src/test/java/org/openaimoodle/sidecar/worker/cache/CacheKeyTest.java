package org.openaimoodle.sidecar.worker.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.worker.json.Json;

class CacheKeyTest {
    static CacheKey v1(String body) throws Exception {
        return CacheKey.of("v1").text("moodle/summarise_text").json(Json.parse(body.getBytes(StandardCharsets.UTF_8)),
                "user").build();
    }

    static final String BODY = "{\"model\":\"gpt-4o\",\"user\":\"U\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"Summarise: x\"}],\"temperature\":0.2,\"max_tokens\":300,\"seed\":1}";

    @Test
    void theUserAndTheKeyOrderAreNotPartOfTheKey() throws Exception {
        assertEquals(v1(BODY), v1(BODY.replace("\"U\"", "\"another student\"")));
        assertEquals(v1(BODY), v1(BODY.replace(",\"user\":\"U\"", "")));
        assertEquals(v1(BODY), v1("{\"seed\":1,\"max_tokens\":300,\"temperature\":0.2,\"messages\":[{\"content\":"
                + "\"Summarise: x\",\"role\":\"user\"}],\"user\":\"V\",\"model\":\"gpt-4o\"}"));
        assertEquals(v1(BODY).hashCode(), v1(BODY.replace("\"U\"", "\"W\"")).hashCode());
    }

    @Test
    void everyGenerationParameterIsPartOfTheKey() throws Exception {
        for (String[] change : new String[][] {{"gpt-4o\"", "gpt-4o-mini\""}, {"Summarise: x", "Summarise: y"},
                {"0.2", "0.3"}, {"0.2", "0.20"}, {"300", "301"}, {"\"seed\":1", "\"seed\":2"},
                {"\"role\":\"user\"", "\"role\":\"system\""}, {"\"seed\":1", "\"seed\":1,\"top_p\":0.9"},
                {"\"seed\":1", "\"seed\":\"1\""}}) {
            assertNotEquals(v1(BODY), v1(BODY.replace(change[0], change[1])), String.join(" -> ", change));
        }
        // a nested "user" is content, not the identity
        assertNotEquals(v1("{\"x\":{\"user\":1}}"), v1("{\"x\":{}}"));
    }

    @Test
    void theEndpointActionAndPartBoundariesCount() {
        assertNotEquals(CacheKey.of("ai").text("summarize").build(), CacheKey.of("ai").text("analyze").build());
        assertNotEquals(CacheKey.of("ai").text("ab").text("c").build(), CacheKey.of("ai").text("a").text("bc").build());
        assertNotEquals(CacheKey.of("ai").text(null).build(), CacheKey.of("ai").text("").build());
        assertNotEquals(CacheKey.of("ai").number(500).build(), CacheKey.of("ai").number(1000).build());
        assertNotEquals(CacheKey.of("ai").text("x").build(), CacheKey.of("v1").text("x").build());
        assertEquals(CacheKey.of("ai").text("x").number(1).build(), CacheKey.of("ai").text("x").number(1).build());
    }
}
