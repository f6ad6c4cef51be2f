package org.openaimoodle.sidecar.supervisor.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PricesTest {
    @Test
    void pricesArePerMillionPromptAndCompletionTokens() {
        Prices prices = Prices.parse(List.of("gpt-4o-mini=0.15/0.60", "gpt-4o = 2.50 / 10"));
        assertEquals(0, new BigDecimal("0.75").compareTo(prices.cost("gpt-4o-mini", 1_000_000, 1_000_000)));
        assertEquals(0, new BigDecimal("0.0000135").compareTo(prices.cost("gpt-4o-mini", 30, 15)));
        assertEquals(0, new BigDecimal("12.5").compareTo(prices.cost("gpt-4o", 1_000_000, 1_000_000)));
        assertTrue(prices.knows("gpt-4o"));
    }

    @Test
    void aModelWithoutAPriceCostsNothing() {
        Prices prices = Prices.parse(List.of("gpt-4o-mini=0.15/0.60"));
        assertFalse(prices.knows("adorsys"));
        assertEquals(BigDecimal.ZERO, prices.cost("adorsys", 1000, 1000));
        assertEquals(BigDecimal.ZERO, Prices.NONE.cost("gpt-4o-mini", 1000, 1000));
    }

    @Test
    void aModelNameMayHoldSlashes() {
        assertTrue(Prices.parse(List.of("openai/gpt-4o=1/2")).knows("openai/gpt-4o"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-4o-mini", "gpt-4o-mini=0.15", "=1/2", "gpt=a/1", "gpt=1/-2", "gpt=1/"})
    void aBadEntryIsNamed(String entry) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Prices.parse(List.of(entry)));
        assertTrue(e.getMessage().contains("'" + entry + "'"), e.getMessage());
    }
}
