package org.openaimoodle.sidecar.common.redis;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

import org.openaimoodle.sidecar.common.SecretMasker;

/**
 * Where Redis is, as {@code SIDECAR_REDIS_URL} says: {@code redis://[[user]:password@]host[:port][/db]}, or
 * {@code rediss://} for TLS. Reading it loads no Redis client class, so the configuration can check the URL in
 * every mode. {@link #toString} never shows the password.
 *
 * @param host     the host
 * @param port     the port, 6379 when the URL names none
 * @param user     the ACL user, or null (then the password is the default user's)
 * @param password the password, or null
 * @param database the database number, 0 when the URL names none
 * @param tls      whether the URL is {@code rediss://}
 */
public record RedisAddress(String host, int port, String user, String password, int database, boolean tls) {
    /** The port Redis listens on unless told otherwise. */
    public static final int DEFAULT_PORT = 6379;
    /** What a valid value looks like, for the configuration's error message. */
    public static final String EXPECTED = "redis://[:password@]host[:port][/db] or rediss://…, e.g. "
            + "redis://10.0.0.5:6379/0";

    /**
     * @param url the configured URL
     * @return the address
     * @throws IllegalArgumentException when the URL is not of the form {@link #EXPECTED} (the message never
     *                                  repeats the URL, which may hold the password)
     */
    public static RedisAddress parse(String url) {
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("redis") && !scheme.equals("rediss")) {
            throw new IllegalArgumentException("the scheme must be redis:// or rediss://");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("no host");
        }
        String user = null;
        String password = null;
        String info = uri.getRawUserInfo();
        if (info != null && !info.isEmpty()) {
            int colon = info.indexOf(':');
            String rawUser = colon < 0 ? "" : info.substring(0, colon);
            String rawPassword = colon < 0 ? info : info.substring(colon + 1);
            user = rawUser.isEmpty() ? null : decode(rawUser);
            password = rawPassword.isEmpty() ? null : decode(rawPassword);
        }
        int database = 0;
        String path = uri.getPath() == null ? "" : uri.getPath();
        if (!path.isEmpty() && !path.equals("/")) {
            try {
                database = Integer.parseInt(path.substring(1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("the path must be a database number, like /0");
            }
            if (database < 0) {
                throw new IllegalArgumentException("the database number must not be negative");
            }
        }
        return new RedisAddress(uri.getHost(), uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(), user, password,
                database, scheme.equals("rediss"));
    }

    private static String decode(String part) {
        return java.net.URLDecoder.decode(part.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * @param url SIDECAR_REDIS_URL, may be null
     * @return the secrets it carries, for {@link SecretMasker#of}: the raw user info and the password alone
     */
    public static String[] secrets(String url) {
        return SecretMasker.urlCredentials(url);
    }

    /** @return {@code redis://host:port/db}, never the password */
    @Override
    public String toString() {
        return (tls ? "rediss" : "redis") + "://" + host + ":" + port + "/" + database;
    }
}
