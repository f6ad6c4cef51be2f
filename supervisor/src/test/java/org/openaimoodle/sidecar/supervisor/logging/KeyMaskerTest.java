package org.openaimoodle.sidecar.supervisor.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Optional;

import org.junit.jupiter.api.Test;

class KeyMaskerTest {
    private static final String KEY = "sk-test-FAKE1234567890abcd";

    @Test
    void configuredKeyKeepsOnlyItsLastFourCharacters() {
        String masked = new KeyMasker(Optional.of(KEY)).mask("using key " + KEY + " now");
        assertEquals("using key sk-…abcd now", masked);
    }

    @Test
    void configuredKeyWithoutSkPrefixIsMaskedToo() {
        String masked = new KeyMasker(Optional.of("custom-gateway-token-9876")).mask("token=custom-gateway-token-9876");
        assertEquals("token=…9876", masked);
    }

    @Test
    void unknownKeyShapedTokensAreMasked() {
        String masked = new KeyMasker(Optional.empty()).mask("Authorization: Bearer sk-proj-AbCdEf0123456789wxyz");
        assertEquals("Authorization: Bearer sk-…wxyz", masked);
    }

    @Test
    void shortKeyIsHiddenCompletely() {
        assertEquals("key=***", new KeyMasker(Optional.of("abc123")).mask("key=abc123"));
    }

    @Test
    void ordinaryTextIsLeftAlone() {
        String text = "task-manager ask-me sk-short";
        assertEquals(text, new KeyMasker(Optional.of(KEY)).mask(text));
        assertFalse(new KeyMasker(Optional.of(KEY)).mask(KEY + KEY).contains("FAKE"));
    }
}
