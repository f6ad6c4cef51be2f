package org.openaimoodle.sidecar.worker.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ChatCompletionsUrlTest {
    @Test
    void baseUrlGetsTheEndpointAppended() {
        assertEquals("https://api.openai.com/v1/chat/completions",
                ChatCompletionsUrl.normalize("https://api.openai.com/v1").toString());
    }

    @Test
    void trailingSlashIsDropped() {
        assertEquals("http://127.0.0.1:9/v1/chat/completions",
                ChatCompletionsUrl.normalize("http://127.0.0.1:9/v1/").toString());
    }

    @Test
    void fullEndpointUrlIsUsedAsIs() {
        assertEquals("https://example.test/openai/deployments/x/chat/completions",
                ChatCompletionsUrl.normalize("https://example.test/openai/deployments/x/chat/completions").toString());
        assertEquals("https://example.test/v1/chat/completions",
                ChatCompletionsUrl.normalize("https://example.test/v1/chat/completions/").toString());
    }

    @Test
    void urlWithoutSchemeOrHostIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> ChatCompletionsUrl.normalize("api.openai.com/v1"));
        assertThrows(IllegalArgumentException.class, () -> ChatCompletionsUrl.normalize("ftp://example.test/v1"));
        assertThrows(IllegalArgumentException.class, () -> ChatCompletionsUrl.normalize("http://exa mple/v1"));
    }
}
