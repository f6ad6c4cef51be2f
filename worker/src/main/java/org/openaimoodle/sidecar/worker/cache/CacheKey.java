package org.openaimoodle.sidecar.worker.cache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.openaimoodle.sidecar.worker.json.Json;

/**
 * What makes two requests the same for the reply cache: the SHA-256 of the endpoint, the action, the model, the
 * messages and every generation parameter, each part tagged and length-prefixed so that no two different
 * requests encode alike. The user is never a part (thirty students summarising one page share one reply). Only
 * the 32-byte digest is kept, so a cached entry's key costs the same whatever the request's size.
 */
public final class CacheKey {
    private final byte[] digest;

    private CacheKey(byte[] digest) {
        this.digest = digest;
    }

    /** @return a builder whose first part is {@code endpoint} ({@code ai}, {@code v1}) */
    public static Builder of(String endpoint) {
        return new Builder().text(endpoint);
    }

    /** Feeds the parts of one key into the digest. */
    public static final class Builder {
        private final MessageDigest sha;

        private Builder() {
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every Java runtime has SHA-256", e);
            }
        }

        /** @return this, with a text part (null is its own value) */
        public Builder text(String part) {
            if (part == null) {
                sha.update((byte) 'n');
                return this;
            }
            byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
            sha.update((byte) 's');
            length(bytes.length);
            sha.update(bytes);
            return this;
        }

        /** @return this, with a number part */
        public Builder number(long part) {
            return text(Long.toString(part));
        }

        /**
         * @param value a parsed JSON value ({@link Json#parse}); objects are taken with their keys sorted, numbers
         *              as written, so that the same request written in another key order is the same key
         * @param skip  a top-level object key left out (the {@code user} of a /v1 body), or null
         * @return this
         */
        public Builder json(Object value, String skip) {
            switch (value) {
                case null -> sha.update((byte) 'n');
                case Map<?, ?> map -> {
                    TreeMap<String, Object> sorted = new TreeMap<>();
                    map.forEach((k, v) -> sorted.put(String.valueOf(k), v));
                    if (skip != null) {
                        sorted.remove(skip);
                    }
                    sha.update((byte) '{');
                    length(sorted.size());
                    sorted.forEach((k, v) -> {
                        text(k);
                        json(v, null);
                    });
                }
                case List<?> list -> {
                    sha.update((byte) '[');
                    length(list.size());
                    list.forEach(v -> json(v, null));
                }
                case Json.JsonNumber number -> {
                    sha.update((byte) '#');
                    text(number.text());
                }
                case Boolean flag -> sha.update((byte) (flag ? 't' : 'f'));
                default -> text(value.toString());
            }
            return this;
        }

        private void length(int n) {
            sha.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        }

        /** @return the key */
        public CacheKey build() {
            return new CacheKey(sha.digest());
        }
    }

    /** @return the digest in lower-case hex, 64 characters: the key's name outside this process (Redis) */
    public String hex() {
        return java.util.HexFormat.of().formatHex(digest);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CacheKey key && MessageDigest.isEqual(digest, key.digest);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(digest);
    }
}
