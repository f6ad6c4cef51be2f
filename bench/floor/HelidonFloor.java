import java.io.InputStream;

import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webserver.WebServer;

/**
 * The framework's floor for figure 1: the sidecar's own HTTP stack (Helidon SE's HTTP/1 server and its HTTP/1
 * client, as the worker builds them) passing {@code POST /v1/chat/completions} to the upstream and its answer
 * back, with nothing else: no parsing, limits, cache, usage, metrics or log. Compiled by bench/run.sh against
 * the worker's libraries; not part of the sidecar.
 *
 * <p>Usage: {@code HelidonFloor PORT UPSTREAM_URL} (the upstream's chat completions URL).
 */
public final class HelidonFloor {
    private HelidonFloor() {
    }

    public static void main(String[] args) {
        String upstream = args[1];
        Http1Client client = Http1Client.builder().connectionCacheSize(64).sendExpectContinue(false)
                .followRedirects(false).proxy(Proxy.noProxy()).build();
        WebServer.builder().host("127.0.0.1").port(Integer.parseInt(args[0]))
                .routing(routing -> routing.post("/v1/chat/completions", (req, res) -> {
                    byte[] body = req.content().as(byte[].class);
                    try (HttpClientResponse answer = client.post(upstream)
                            .header(HeaderNames.CONTENT_TYPE, "application/json").submit(body);
                         InputStream in = answer.entity().inputStream()) {
                        byte[] reply = in.readAllBytes(); // to the end: a body read short closes the connection
                        res.status(answer.status()).header(HeaderNames.CONTENT_TYPE, "application/json").send(reply);
                    }
                }))
                .build().start();
    }
}
