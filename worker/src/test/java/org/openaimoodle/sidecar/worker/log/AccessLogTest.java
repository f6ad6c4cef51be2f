package org.openaimoodle.sidecar.worker.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AccessLogTest {
    @Test
    void clientTextBecomesOneShortToken() {
        assertEquals("-", AccessLog.field(null));
        assertEquals("-", AccessLog.field(""));
        assertEquals("42", AccessLog.field("42"));
        assertEquals("a_b_c_code_ok", AccessLog.field("a b\nc code=ok"));
        assertEquals(64, AccessLog.field("x".repeat(500)).length());
    }
}
