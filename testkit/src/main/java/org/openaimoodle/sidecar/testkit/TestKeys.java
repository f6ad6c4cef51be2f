package org.openaimoodle.sidecar.testkit;

/**
 * The fake credentials of all tests, in one place. None of them is valid anywhere; each has the shape the
 * test needs, so a test that checks masking or scrubbing names which shape it feeds in.
 */
public final class TestKeys {
    /** The API key of every test: shaped like a real {@code sk-} key; it must never show up in any output. */
    public static final String API_KEY = "sk-test-FAKE1234567890abcd";
    /** {@link #API_KEY} as the masker shows it. */
    public static final String API_KEY_MASKED = "sk-…abcd";
    /** A second, different {@code sk-} key, e.g. one quoted in an upstream error text that has to be scrubbed. */
    public static final String OTHER_API_KEY = "sk-live-ABCDEFGH12345678wxyz";
    /** {@link #OTHER_API_KEY} as the masker shows it. */
    public static final String OTHER_API_KEY_MASKED = "sk-…wxyz";
    /** A gateway key without the {@code sk-} shape: only the configured value tells that it is a secret. */
    public static final String PLAIN_API_KEY = "gateway7Qm2Rx9Lp4Vz8Tk3Wn6Yj";
    /** The bearer token ({@code SIDECAR_TOKEN}) that protects {@code /ai}. */
    public static final String TOKEN = "s3cret-token-Xy7Pq2Lm";
    /** A password inside a base URL ({@code https://user:PASSWORD@host/v1}). */
    public static final String URL_PASSWORD = "Pa55wordXyz";
    /** A base URL nothing listens on (the discard port): for tests that never send a request upstream. */
    public static final String UNUSED_BASE_URL = "http://127.0.0.1:9/v1";

    private TestKeys() {
    }
}
