package org.openaimoodle.sidecar.worker.http;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Which {@code Host} headers the worker serves: loopback names and addresses ({@code localhost}, {@code 127.x.x.x},
 * {@code [::1]}), {@code SIDECAR_HOST} and {@code SIDECAR_ALLOWED_HOSTS}, any port. Anything else is a request
 * that a browser sent on behalf of a web page (directly or after DNS rebinding), which must not spend the key.
 * A request without Host (HTTP/1.0 tools) is not a browser's and is served.
 */
final class LocalHosts {
    private static final Pattern LOOPBACK_V4 = Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    private static final Pattern PORT = Pattern.compile(":\\d{1,5}$");

    private final Set<String> names;

    /**
     * @param configuredHost SIDECAR_HOST
     * @param allowed        SIDECAR_ALLOWED_HOSTS
     */
    LocalHosts(String configuredHost, List<String> allowed) {
        names = Stream.concat(Stream.of("localhost", "[::1]", configuredHost), allowed.stream())
                .map(LocalHosts::bracketed)
                .map(h -> h.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    }

    /** @return whether a request with these Host header values is served */
    boolean allows(List<String> hostHeaders) {
        if (hostHeaders.isEmpty()) {
            return true;
        }
        if (hostHeaders.size() > 1) {
            return false;
        }
        String host = PORT.matcher(hostHeaders.getFirst().strip()).replaceFirst("").toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) { // "localhost." is the same name
            host = host.substring(0, host.length() - 1);
        }
        return names.contains(host) || LOOPBACK_V4.matcher(host).matches();
    }

    /** An IPv6 address as it appears in a Host header: in brackets. */
    private static String bracketed(String host) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
