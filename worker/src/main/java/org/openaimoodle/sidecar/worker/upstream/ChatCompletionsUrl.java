package org.openaimoodle.sidecar.worker.upstream;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Turns {@code OPENAI_BASE_URL} into the Chat Completions endpoint: a trailing {@code /} is dropped, and
 * {@code /chat/completions} is appended unless the URL already ends with it.
 */
public final class ChatCompletionsUrl {
    private static final String ENDPOINT = "/chat/completions";

    private ChatCompletionsUrl() {
    }

    /**
     * @param baseUrl a base URL such as {@code https://api.openai.com/v1}, or a full endpoint URL
     * @return the endpoint URI
     * @throws IllegalArgumentException when it is not an absolute http(s) URL with a host
     */
    public static URI normalize(String baseUrl) {
        String url = baseUrl.strip();
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        if (!url.endsWith(ENDPOINT)) {
            url += ENDPOINT;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || uri.getHost() == null) {
            throw new IllegalArgumentException("expected an http:// or https:// URL with a host");
        }
        return uri;
    }

    /**
     * @param chatCompletions the normalized endpoint
     * @return the model list beside it: {@code …/chat/completions} becomes {@code …/models} (query kept)
     */
    public static URI models(URI chatCompletions) {
        String text = chatCompletions.toString();
        int at = text.lastIndexOf(ENDPOINT);
        return URI.create(text.substring(0, at) + "/models" + text.substring(at + ENDPOINT.length()));
    }
}
