package org.openaimoodle.sidecar.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Test;

class SecretMaskerTest {
    private static final String KEY = "sk-test-FAKE1234567890abcd";
    private static final String PLAIN_KEY = "gateway7Qm2Rx9Lp4Vz8Tk3Wn6Yj";
    private static final String TOKEN = "s3cret-token-Xy7Pq2Lm";

    @Test
    void maskShowsAKnownPrefixAndTheLastFourOfLongKeysOnly() {
        assertEquals("sk-…abcd", SecretMasker.mask(KEY));
        assertEquals("sk-proj-…wxyz", SecretMasker.mask("sk-proj-AbCdEf0123456789wxyz"));
        assertEquals("…n6Yj", SecretMasker.mask(PLAIN_KEY));
        assertEquals("…", SecretMasker.mask("sk-short-123456")); // 15 characters
        assertEquals("…", SecretMasker.mask("abc"));
        assertEquals("none", SecretMasker.mask(null));
        assertEquals("none", SecretMasker.mask(""));
    }

    @Test
    void everyOccurrenceOfEachKnownSecretIsMasked() {
        SecretMasker masker = SecretMasker.of(KEY, TOKEN, PLAIN_KEY);
        String scrubbed = masker.scrub("key " + KEY + " (" + KEY + "), token=" + TOKEN + ", gw " + PLAIN_KEY + ".");
        assertEquals("key sk-…abcd (sk-…abcd), token=…Lm, gw …n6Yj.".replace("…Lm", SecretMasker.mask(TOKEN)),
                scrubbed);
        assertNoPieceOf(KEY, scrubbed);
        assertNoPieceOf(TOKEN, scrubbed);
        assertNoPieceOf(PLAIN_KEY, scrubbed);
    }

    @Test
    void aShortKnownSecretIsReplacedWhole() {
        assertEquals("key=…", SecretMasker.of("abc123").scrub("key=abc123"));
        assertEquals("a b", SecretMasker.of("ab").scrub("a b")); // too short to search for: words stay intact
    }

    @Test
    void urlCredentialsAreHiddenInAnyUrlAndKnownAsSecrets() {
        String url = "https://moodle:Pa55wordXyz@gateway.example:8443/v1";
        assertEquals("https://…@gateway.example:8443/v1", SecretMasker.none().scrub(url));
        assertEquals("connect to http://…@h/x failed, http://h/y ok",
                SecretMasker.none().scrub("connect to http://u:p@h/x failed, http://h/y ok"));
        String[] credentials = SecretMasker.urlCredentials(url);
        assertEquals("moodle:Pa55wordXyz", credentials[0]);
        assertEquals("Pa55wordXyz", credentials[1]);
        assertEquals(0, SecretMasker.urlCredentials("https://api.openai.com/v1").length);
        // The password alone, echoed without the URL, is known too.
        assertEquals("password …", SecretMasker.of(credentials).scrub("password Pa55wordXyz"));
    }

    @Test
    void bearerValuesAreHiddenWhateverTheyAre() {
        assertEquals("Authorization: Bearer …", SecretMasker.none().scrub("Authorization: Bearer abcdefgh12"));
        assertEquals("{\"authorization\":\"bearer sk-proj-…wxyz\"}",
                SecretMasker.none().scrub("{\"authorization\":\"bearer sk-proj-AbCdEf0123456789wxyz\"}"));
        assertEquals("using Bearer auth", SecretMasker.none().scrub("using Bearer auth"));
    }

    @Test
    void keyShapedWordsAreMaskedEvenWhenUnknown() {
        assertEquals("Authorization: Bearer sk-proj-…wxyz",
                SecretMasker.none().scrub("Authorization: Bearer sk-proj-AbCdEf0123456789wxyz"));
        assertEquals("failed with sk-…wxyz now", SecretMasker.none().scrub("failed with sk-live-ABCDEFGH12345678wxyz now"));
        // cut at the end of the text: its last four are not the key's last four
        assertEquals("echo sk-…", SecretMasker.none().scrub("echo sk-live-ABCDEFGH1234"));
        assertEquals("no task-runner-12345678 or sk-short here",
                SecretMasker.none().scrub("no task-runner-12345678 or sk-short here"));
    }

    @Test
    void textWithoutSecretsIsUnchanged() {
        String text = "INFO access: action=chat user_id=42 code=ok status=200 duration_ms=812";
        assertEquals(text, SecretMasker.of(KEY, TOKEN).scrub(text));
        assertFalse(SecretMasker.of(KEY).hides(text));
        assertTrue(SecretMasker.of(KEY).hides("x" + KEY));
        assertEquals(null, SecretMasker.of(KEY).scrub(null));
    }

    @Test
    void aKnownSecretCutShortAtEitherEndOfTheTextIsStillMasked() {
        for (String secret : new String[] {KEY, PLAIN_KEY, TOKEN}) {
            SecretMasker masker = SecretMasker.of(secret);
            for (int n = 0; n <= secret.length(); n++) {
                assertNoPieceOf(secret, masker.scrub("upstream said: " + secret.substring(0, n)));
                assertNoPieceOf(secret, masker.scrub(secret.substring(n) + " was the rest"));
            }
        }
    }

    @Test
    void aKeyEchoedAtEveryOffsetAcrossTheCutIsMaskedWhenScrubbedBeforeCutting() {
        for (String secret : new String[] {KEY, PLAIN_KEY}) {
            SecretMasker masker = SecretMasker.of(secret);
            for (int offset = 0; offset <= 520; offset++) {
                String echoed = ".".repeat(offset) + secret + " echoed back " + ".".repeat(100);
                String capped = masker.scrubAndCap(echoed, 500);
                assertTrue(capped.length() <= 501, "capped at 500 + …");
                assertNoPieceOf(secret, capped);
                // An upstream that cut the text itself, anywhere in the key, before we see it:
                String cutUpstream = echoed.substring(0, Math.min(echoed.length(), offset + secret.length() / 2));
                assertNoPieceOf(secret, masker.scrubAndCap(cutUpstream, 500));
                // Unknown key, echoed in a header: found by its shape or by Bearer.
                assertNoPieceOf(secret, SecretMasker.none().scrubAndCap(
                        ".".repeat(offset) + "Authorization: Bearer " + secret + " echoed", 500));
            }
        }
    }

    @Test
    void scrubAndCapCutsOnlyAfterScrubbing() {
        assertEquals("abc", SecretMasker.none().scrubAndCap("abc", 3));
        assertEquals("ab…", SecretMasker.none().scrubAndCap("abcd", 2));
        assertEquals("x".repeat(9) + "…", SecretMasker.none().scrubAndCap("x".repeat(9) + "\uD83D\uDE00", 10));
    }

    /** No 6-character piece of the secret may appear; the last four after {@code …} are allowed (shorter). */
    private static void assertNoPieceOf(String secret, String text) {
        for (int i = 0; i + SecretMasker.SHORTEST_FRAGMENT <= secret.length(); i++) {
            String piece = secret.substring(i, i + SecretMasker.SHORTEST_FRAGMENT);
            if (text.contains(piece)) {
                fail("'" + piece + "' of the secret is in: " + text);
            }
        }
    }
}
