package org.openaimoodle.sidecar.worker.it;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.models.Model;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;
import org.openaimoodle.sidecar.testkit.WorkerWithFakeUpstream;

/**
 * The official OpenAI Java SDK ({@code com.openai:openai-java}, its OkHttp client) as a real client of /v1, with
 * base URL {@code http://127.0.0.1:PORT/v1} and SIDECAR_TOKEN as its API key.
 */
class OpenAiSdkIT {
    static final String TOKEN = "sidecar-token-for-the-sdk";

    @RegisterExtension
    static final WorkerWithFakeUpstream fixture = new WorkerWithFakeUpstream(Map.of(
            "SIDECAR_TOKEN", TOKEN,
            "SIDECAR_REQUEST_TIMEOUT", "5"));
    static FakeUpstream upstream;
    static WorkerUnderTest worker;
    static OpenAIClient sdk;

    @BeforeAll
    static void start() throws Exception {
        upstream = fixture.upstream();
        worker = fixture.worker();
        sdk = OpenAIOkHttpClient.builder().baseUrl(worker.uri("/v1").toString()).apiKey(TOKEN)
                .maxRetries(0).timeout(Duration.ofSeconds(20)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (sdk != null) {
            sdk.close();
        }
    }

    static ChatCompletionCreateParams params() {
        return ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage("Say hello").build();
    }

    @Test
    void completion() {
        ChatCompletion completion = sdk.chat().completions().create(params());
        assertEquals("Hello from the fake upstream", completion.choices().getFirst().message().content().orElseThrow());
        assertEquals(5, completion.usage().orElseThrow().completionTokens());
        assertEquals("Bearer " + TestKeys.API_KEY, upstream.received().getFirst().headers().get("authorization"));
    }

    @Test
    void streamIsReadEventByEventAsItArrives() {
        upstream.enqueue(FakeAnswer.stream(Duration.ofMillis(200), "one", "two", "three", "four", "five"));
        List<String> pieces = new ArrayList<>();
        List<Long> at = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = sdk.chat().completions().createStreaming(params())) {
            stream.stream().forEach(chunk -> chunk.choices().stream().findFirst()
                    .flatMap(choice -> choice.delta().content()).filter(text -> !text.isEmpty()).ifPresent(text -> {
                        pieces.add(text);
                        at.add(System.nanoTime());
                    }));
        }
        assertEquals(List.of("one", "two", "three", "four", "five"), pieces);
        // Four gaps of 200 ms upstream: spread over time, not one burst at the end. (Gaps between single pieces
        // are not asserted here: the SDK's first chunk costs it class loading, which bunches the next one.)
        long spreadMillis = (at.getLast() - at.getFirst()) / 1_000_000;
        assertTrue(spreadMillis >= 500, "five pieces within " + spreadMillis + " ms: a burst");
    }

    @Test
    void modelsList() {
        List<String> ids = sdk.models().list().data().stream().map(Model::id).toList();
        assertEquals(List.of("gpt-4o-mini", "adorsys"), ids);
    }

    @Test
    void upstream401IsTheSdksOwnExceptionWithTheUpstreamMessage() {
        upstream.enqueue(FakeAnswer.error(401, "Incorrect API key provided: sk-…abcd"));
        UnauthorizedException e = assertThrows(UnauthorizedException.class,
                () -> sdk.chat().completions().create(params()));
        assertTrue(e.getMessage().contains("Incorrect API key provided"), e.getMessage());
    }

    @Test
    void wrongTokenIsRefusedBeforeTheUpstream() {
        OpenAIClient wrong = sdk.withOptions(options -> options.apiKey("not-the-token"));
        UnauthorizedException e = assertThrows(UnauthorizedException.class,
                () -> wrong.chat().completions().create(params()));
        assertTrue(e.getMessage().contains("SIDECAR_TOKEN"), e.getMessage());
        assertEquals(0, upstream.received().size());
    }
}
