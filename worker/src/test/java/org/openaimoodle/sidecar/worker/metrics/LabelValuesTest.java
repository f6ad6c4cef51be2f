package org.openaimoodle.sidecar.worker.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class LabelValuesTest {
    private final LabelValues labels = new LabelValues(List.of("moodle/my_own_action"), 3);

    @Test
    void knownActionsStayAndEverythingElseIsOther() {
        for (String action : List.of("chat", "summarize", "analyze", "v1", "moodle/generate_text",
                "moodle/summarise_text", "moodle/explain_text", "moodle/my_own_action")) {
            assertEquals(action, labels.action(action));
        }
        assertEquals("other", labels.action("moodle/anything_a_client_sends"));
        assertEquals("other", labels.action("-"));
        assertEquals("other", labels.action(null));
    }

    @Test
    void codesAreOkOrTheReadmesErrorCodes() {
        assertEquals("ok", labels.code("ok"));
        assertEquals("upstream_timeout", labels.code("upstream_timeout"));
        assertEquals("quota_exceeded", labels.code("quota_exceeded"));
        assertEquals("other", labels.code("something_else"));
    }

    @Test
    void endpointsAreAiAndV1() {
        assertEquals("ai", labels.endpoint("ai"));
        assertEquals("v1", labels.endpoint("v1"));
        assertEquals("other", labels.endpoint("stdio"));
    }

    @Test
    void theFirstModelsUpToTheBoundKeepTheirNameAndLaterOnesAreOther() {
        assertEquals("gpt-4o-mini", labels.model("gpt-4o-mini"));
        assertEquals("gpt-4o", labels.model("gpt-4o"));
        assertEquals("adorsys", labels.model("adorsys"));
        assertEquals("other", labels.model("the-fourth")); // at the bound of 3
        assertEquals("gpt-4o", labels.model("gpt-4o")); // a known one stays known
        assertEquals("other", labels.model(""));
    }

    @Test
    void aLongModelNameIsCutAndCountsOnceAsItsCut() {
        String longName = "m".repeat(LabelValues.MAX_MODEL_CHARS) + "-and-more";
        assertEquals("m".repeat(LabelValues.MAX_MODEL_CHARS), labels.model(longName));
        assertEquals("m".repeat(LabelValues.MAX_MODEL_CHARS), labels.model(longName + "-else"));
        assertEquals("b", labels.model("b"));
        assertEquals("c", labels.model("c"));
        assertEquals("other", labels.model("d"));
    }

    @Test
    void theBoundHoldsWhenManyNewModelsArriveAtOnce() throws Exception {
        LabelValues bounded = new LabelValues(List.of(), 5);
        ExecutorService threads = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 200; i++) {
            String model = "model-" + i;
            threads.submit(() -> {
                start.await();
                return seen.add(bounded.model(model));
            });
        }
        start.countDown();
        threads.shutdown();
        assertEquals(true, threads.awaitTermination(10, TimeUnit.SECONDS));
        assertEquals(6, seen.size(), seen.toString()); // five names and "other"
    }
}
