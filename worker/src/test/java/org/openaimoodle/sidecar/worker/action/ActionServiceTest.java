package org.openaimoodle.sidecar.worker.action;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.worker.config.CommandLineFlags;
import org.openaimoodle.sidecar.worker.config.ConfigLoader;
import org.openaimoodle.sidecar.worker.config.WorkerConfig;
import org.openaimoodle.sidecar.worker.upstream.ChatCompletionsClient;
import org.openaimoodle.sidecar.worker.upstream.RetryPolicy;
import org.openaimoodle.sidecar.worker.upstream.TransportResponse;
import org.openaimoodle.sidecar.worker.upstream.UpstreamTransport;
import org.openaimoodle.sidecar.testkit.TestKeys;

/** {@link ActionService} against a scripted transport: no process, no socket. */
class ActionServiceTest {
    static final byte[] ANSWER = "{\"choices\":[{\"message\":{\"content\":\"the answer\"}}]}"
            .getBytes(StandardCharsets.UTF_8);
    static final byte[] REFUSED = "{\"error\":{\"message\":\"no summary today\",\"type\":\"x\"}}"
            .getBytes(StandardCharsets.UTF_8);

    final List<String> sent = new ArrayList<>();

    ActionService service(TransportResponse... script) throws Exception {
        WorkerConfig config = ConfigLoader.load(CommandLineFlags.parse(List.of()),
                Map.of("OPENAI_API_KEY", TestKeys.API_KEY, "SUMMARIZE_THRESHOLD", "10"));
        List<TransportResponse> answers = new ArrayList<>(List.of(script));
        UpstreamTransport transport = (uri, headers, body, timeout) -> {
            sent.add(new String(body, StandardCharsets.UTF_8));
            return answers.removeFirst();
        };
        return new ActionService(config, Optional.of(new ChatCompletionsClient(transport, config.chatCompletionsUri(),
                config.apiKey().orElseThrow(), config.model(), RetryPolicy.DEFAULT)));
    }

    @Test
    void longContextWhoseSummaryFailsIsSentTruncatedAndTheChatStillAnswers() throws Exception {
        ActionService service = service(new TransportResponse(400, Map.of(), REFUSED),
                new TransportResponse(200, Map.of(), ANSWER));
        Outcome outcome = service.handle("{\"action\":\"chat\",\"content\":\"Q\",\"context\":\"abcdefghijKLMNOP\"}"
                .getBytes(StandardCharsets.UTF_8));
        assertTrue(outcome.reply().success(), outcome.reply().toString());
        assertEquals("the answer", outcome.reply().data());
        assertEquals(2, sent.size(), sent.toString());
        assertTrue(sent.get(0).contains("abcdefghijKLMNOP"), "the summary request carries the whole context");
        assertTrue(sent.get(1).contains("Context (truncated): abcdefghij\""), sent.get(1));
        assertTrue(!sent.get(1).contains("KLMNOP"), sent.get(1));
    }

    @Test
    void longContextIsReplacedByItsSummary() throws Exception {
        byte[] summary = "{\"choices\":[{\"message\":{\"content\":\"SUM\"}}]}".getBytes(StandardCharsets.UTF_8);
        ActionService service = service(new TransportResponse(200, Map.of(), summary),
                new TransportResponse(200, Map.of(), ANSWER));
        Outcome outcome = service.handle("{\"action\":\"chat\",\"content\":\"Q\",\"context\":\"abcdefghijKLMNOP\"}"
                .getBytes(StandardCharsets.UTF_8));
        assertTrue(outcome.reply().success());
        assertTrue(sent.get(1).contains("Context summary: SUM"), sent.get(1));
    }
}
