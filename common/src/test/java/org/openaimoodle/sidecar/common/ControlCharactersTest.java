package org.openaimoodle.sidecar.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class ControlCharactersTest {
    @Test
    void everyControlCharacterButTabBecomesAVisibleEscape() {
        assertEquals("a\\nb\\r\\u001b[2J\\u007f\\u0085\\u2028\\u2029\tc",
                ControlCharacters.escapeKeepingTabs("a\nb\r\u001b[2J\u007f\u0085\u2028\u2029\tc"));
    }

    @Test
    void textWithoutControlCharactersIsReturnedAsItIs() {
        String text = "plain text\twith a tab, ü and 😀";
        assertSame(text, ControlCharacters.escapeKeepingTabs(text));
    }

    @Test
    void appendEscapedEscapesTabsToo() {
        StringBuilder out = new StringBuilder();
        for (char c : "\t\n\u0000x".toCharArray()) {
            ControlCharacters.appendEscaped(out, c);
        }
        assertEquals("\\t\\n\\u0000x", out.toString());
    }
}
