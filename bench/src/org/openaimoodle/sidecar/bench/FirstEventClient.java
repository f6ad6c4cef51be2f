package org.openaimoodle.sidecar.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Time to the first event of a stream: sends streaming Chat Completions requests ({@code "stream": true}), one
 * after the other, alternately to the fake upstream directly and through the sidecar's
 * {@code /v1/chat/completions}, and times each from opening its connection to the first byte of its first
 * {@code data:} event. Alternating pairs the two: a slow spell of the machine hits both sides of a pair, so the
 * added delay is the median of the per-pair differences (via − direct), not a difference of two medians taken
 * at different times. Every stream is read to its {@code data: [DONE]}; one that is not 200 or has no end counts
 * as failed. Prints one {@code key=value} line (times in µs).
 *
 * <p>Usage: {@code FirstEventClient DIRECT_PORT VIA_PORT BODY_FILE WARMUP_PAIRS PAIRS}. Raw sockets, one
 * connection per request: no client library buffers or parses anything between the socket and the clock.
 */
public final class FirstEventClient {
    private static final String PATH = "/v1/chat/completions";
    private static final int TIMEOUT_MILLIS = 10_000;

    private final byte[] body;
    private int failures;
    private final List<String> firstErrors = new ArrayList<>();

    private FirstEventClient(byte[] body) {
        this.body = body;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 5) {
            System.err.println("usage: FirstEventClient DIRECT_PORT VIA_PORT BODY_FILE WARMUP_PAIRS PAIRS");
            System.exit(2);
        }
        int direct = Integer.parseInt(args[0]);
        int via = Integer.parseInt(args[1]);
        FirstEventClient client = new FirstEventClient(Files.readAllBytes(Path.of(args[2])));
        int warmup = Integer.parseInt(args[3]);
        int pairs = Integer.parseInt(args[4]);
        for (int i = 0; i < warmup; i++) {
            client.firstEventMicros(direct);
            client.firstEventMicros(via);
        }
        client.failures = 0;
        client.firstErrors.clear();
        long[] directMicros = new long[pairs];
        long[] viaMicros = new long[pairs];
        long[] addedMicros = new long[pairs];
        int measured = 0;
        for (int i = 0; i < pairs; i++) {
            long d = client.firstEventMicros(direct);
            long v = client.firstEventMicros(via);
            if (d >= 0 && v >= 0) {
                directMicros[measured] = d;
                viaMicros[measured] = v;
                addedMicros[measured] = v - d;
                measured++;
            }
        }
        if (measured == 0) {
            System.out.printf("pairs=%d measured=0 failed=%d%n", pairs, client.failures);
        } else {
            long[] d = Arrays.copyOf(directMicros, measured);
            long[] v = Arrays.copyOf(viaMicros, measured);
            long[] added = Arrays.copyOf(addedMicros, measured);
            Arrays.sort(d);
            Arrays.sort(v);
            Arrays.sort(added);
            System.out.printf("pairs=%d measured=%d failed=%d direct_p50_us=%d direct_p90_us=%d via_p50_us=%d "
                            + "via_p90_us=%d added_p50_us=%d added_p90_us=%d%n",
                    pairs, measured, client.failures, percentile(d, 50), percentile(d, 90), percentile(v, 50),
                    percentile(v, 90), percentile(added, 50), percentile(added, 90));
        }
        client.firstErrors.forEach(error -> System.err.println("FirstEventClient: " + error));
    }

    /** One streamed request on its own connection: µs to the first event, or -1 when it failed. */
    private long firstEventMicros(int port) {
        long start = System.nanoTime();
        long firstEvent = -1;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write(request(port));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream reply = new ByteArrayOutputStream(2048);
            byte[] chunk = new byte[4096];
            int bodyStart = -1;
            while (true) {
                int read = in.read(chunk);
                if (read < 0) {
                    break;
                }
                reply.write(chunk, 0, read);
                String text = reply.toString(StandardCharsets.ISO_8859_1);
                if (bodyStart < 0) {
                    int headerEnd = text.indexOf("\r\n\r\n");
                    bodyStart = headerEnd < 0 ? -1 : headerEnd + 4;
                }
                if (bodyStart >= 0 && firstEvent < 0 && text.indexOf("data:", bodyStart) >= 0) {
                    firstEvent = (System.nanoTime() - start) / 1_000;
                }
                if (firstEvent >= 0 && text.indexOf("data: [DONE]", bodyStart) >= 0) {
                    if (text.startsWith("HTTP/1.1 200")) {
                        return firstEvent;
                    }
                    break;
                }
            }
            String text = reply.toString(StandardCharsets.UTF_8);
            fail("port " + port + ": no complete 200 stream: "
                    + (text.length() > 300 ? text.substring(0, 300) : text));
        } catch (IOException e) {
            fail("port " + port + ": " + e);
        }
        return -1;
    }

    private byte[] request(int port) {
        String head = "POST " + PATH + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
                + "Accept: text/event-stream\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        byte[] request = Arrays.copyOf(headBytes, headBytes.length + body.length);
        System.arraycopy(body, 0, request, headBytes.length, body.length);
        return request;
    }

    private void fail(String error) {
        failures++;
        if (firstErrors.size() < 5) {
            firstErrors.add(error);
        }
    }

    private static long percentile(long[] sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
