package org.openaimoodle.sidecar.worker.openai;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.openaimoodle.sidecar.worker.action.ErrorCode;
import org.openaimoodle.sidecar.worker.json.Json;
import org.openaimoodle.sidecar.worker.upstream.UpstreamStream;
import org.openaimoodle.sidecar.worker.upstream.Usage;

/**
 * Passes a streamed Chat Completions answer (Server-Sent Events) from the upstream to the client, each event as
 * soon as it is complete (written and flushed on its own, nothing held back), and notes the tokens of the final
 * usage chunk. That chunk is passed on only when the client asked for it ({@code stream_options.include_usage}).
 *
 * <p>How a stream ends: the upstream's end; silence longer than the idle timeout, or a broken upstream, ends
 * it with one OpenAI-style error event ({@code data: {"error":…}}) and a proper end of the response; a client
 * that went away (a failed write) closes the upstream connection at once.
 */
public final class SseRelay {
    /** The access line's code of a stream whose client went away before its end. */
    public static final String CLIENT_CLOSED = "client_closed";

    private final int maxEventBytes;

    /** @param maxEventBytes longest single event; a longer one ends the stream ({@code upstream_error}) */
    public SseRelay(int maxEventBytes) {
        this.maxEventBytes = maxEventBytes;
    }

    /**
     * How a relayed stream ended.
     *
     * @param code  {@code ok}, an error code, or {@link #CLIENT_CLOSED}
     * @param usage the tokens of the usage chunk, if one came
     */
    public record Result(String code, Usage usage) {
    }

    /**
     * @param upstream         the open upstream body; closed when this returns
     * @param client           the client's response body
     * @param clientWantsUsage whether to pass the usage chunk on
     * @return how the stream ended
     */
    public Result relay(UpstreamStream upstream, OutputStream client, boolean clientWantsUsage) {
        Events events = new Events();
        byte[] buffer = new byte[8192];
        try (upstream) {
            for (int n; (n = upstream.read(buffer)) >= 0; ) {
                events.append(buffer, n);
                for (byte[] event; (event = events.next()) != null; ) {
                    if (clientWantsUsage || !events.usageOnly) {
                        send(client, event);
                    }
                }
                if (events.pending() > maxEventBytes) {
                    return end(client, events, ErrorCode.UPSTREAM_ERROR, "the AI service sent an event larger than "
                            + maxEventBytes + " bytes (SIDECAR_MAX_UPSTREAM_REPLY_BYTES); the stream was cut");
                }
            }
            if (events.pending() > 0) {
                send(client, events.rest());
            }
            return new Result("ok", events.usage);
        } catch (ClientGone e) {
            return new Result(CLIENT_CLOSED, events.usage);
        } catch (SocketTimeoutException e) {
            return end(client, events, ErrorCode.UPSTREAM_TIMEOUT, "the AI service sent nothing for "
                    + upstream.idleTimeout().toMillis() + " ms (SIDECAR_STREAM_IDLE_TIMEOUT); the stream was cut");
        } catch (IOException e) {
            return end(client, events, ErrorCode.UPSTREAM_ERROR, "the connection to the AI service broke during "
                    + "the stream; try again");
        }
    }

    private static Result end(OutputStream client, Events events, ErrorCode code, String message) {
        byte[] error = new OpenAiError(502, code, message).toJson();
        byte[] event = new byte[error.length + 8];
        System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, event, 0, 6);
        System.arraycopy(error, 0, event, 6, error.length);
        event[event.length - 2] = '\n';
        event[event.length - 1] = '\n';
        try {
            send(client, event);
        } catch (ClientGone e) {
            return new Result(CLIENT_CLOSED, events.usage);
        }
        return new Result(code.wire(), events.usage);
    }

    private static void send(OutputStream client, byte[] event) throws ClientGone {
        try {
            client.write(event);
            client.flush();
        } catch (IOException | UncheckedIOException e) {
            throw new ClientGone();
        } catch (RuntimeException e) {
            // Helidon reports a closed client connection with its own runtime exceptions as well.
            throw new ClientGone();
        }
    }

    /** A write to the client failed: it closed the connection. */
    private static final class ClientGone extends Exception {
        ClientGone() {
            super(null, null, false, false);
        }
    }

    /** Splits the bytes read into events (each ends with a blank line) and looks at each one's data. */
    private static final class Events {
        private byte[] bytes = new byte[8192];
        private int length;
        private int start;
        private Usage usage = Usage.UNKNOWN;
        /** Whether the last event returned by {@link #next()} was a usage chunk without choices. */
        private boolean usageOnly;

        void append(byte[] more, int n) {
            if (start > 0) {
                System.arraycopy(bytes, start, bytes, 0, length - start);
                length -= start;
                start = 0;
            }
            if (length + n > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + n));
            }
            System.arraycopy(more, 0, bytes, length, n);
            length += n;
        }

        int pending() {
            return length - start;
        }

        byte[] rest() {
            byte[] rest = Arrays.copyOfRange(bytes, start, length);
            start = length;
            return rest;
        }

        /** @return the next complete event, terminating blank line included, or null */
        byte[] next() {
            for (int i = start; i + 1 < length; i++) {
                int end = bytes[i] == '\n' && bytes[i + 1] == '\n' ? i + 2
                        : i + 3 < length && bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r'
                        && bytes[i + 3] == '\n' ? i + 4 : -1;
                if (end > 0) {
                    byte[] event = Arrays.copyOfRange(bytes, start, end);
                    start = end;
                    inspect(event);
                    return event;
                }
            }
            return null;
        }

        private void inspect(byte[] event) {
            usageOnly = false;
            String text = new String(event, StandardCharsets.UTF_8);
            if (!text.contains("\"usage\"")) {
                return;
            }
            StringBuilder data = new StringBuilder();
            for (String line : text.split("\r?\n")) {
                if (line.startsWith("data:")) {
                    data.append(line, line.startsWith("data: ") ? 6 : 5, line.length());
                }
            }
            try {
                Object chunk = Json.parse(data.toString().getBytes(StandardCharsets.UTF_8));
                Usage found = Usage.of(chunk);
                if (found.promptTokens() >= 0 || found.completionTokens() >= 0) {
                    usage = found;
                    usageOnly = Json.path(chunk, "choices") instanceof List<?> choices && choices.isEmpty();
                }
            } catch (IOException e) {
                // not JSON: passed on as it is
            }
        }
    }
}
