package org.openaimoodle.sidecar.worker.action;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.worker.config.Prompts;
import org.openaimoodle.sidecar.worker.upstream.ChatMessage;

class PromptBuilderTest {
    private final PromptBuilder builder = new PromptBuilder(Prompts.ORIGINAL);

    @Test
    void chatWithoutContextIsSystemThenUser() {
        assertEquals(List.of(
                ChatMessage.system("You are a helpful educational assistant integrated with Moodle."),
                ChatMessage.user("What is a quiz?")), builder.chat("What is a quiz?", null));
    }

    @Test
    void chatContextGoesInASecondSystemMessage() {
        assertEquals(List.of(
                ChatMessage.system("You are a helpful educational assistant integrated with Moodle."),
                ChatMessage.system("Context: Course 101"),
                ChatMessage.user("Hi")), builder.chat("Hi", PromptBuilder.context("Course 101")));
    }

    @Test
    void summarizeUsesTheOriginalPrompt() {
        assertEquals(List.of(
                ChatMessage.system("Summarize the following text concisely while preserving key information."),
                ChatMessage.user("Long text")), builder.summarize("Long text"));
    }

    @Test
    void analyzeWrapsTheContentInTheOriginalInstruction() {
        assertEquals(List.of(
                ChatMessage.system("You are an educational content analyst. Provide structured analysis of "
                        + "learning materials."),
                ChatMessage.user("Analyze the following educational content and provide insights about learning "
                        + "objectives, difficulty level, and suggestions for improvement:\n\nPhotosynthesis")),
                builder.analyze("Photosynthesis"));
    }

    @Test
    void configuredPromptsReplaceTheOriginals() {
        PromptBuilder custom = new PromptBuilder(new Prompts("C", "S", "A", "Look: "));
        assertEquals(ChatMessage.system("C"), custom.chat("x", null).get(0));
        assertEquals(ChatMessage.system("S"), custom.summarize("x").get(0));
        assertEquals(ChatMessage.user("Look: x"), custom.analyze("x").get(1));
    }

    @Test
    void contextLinesHaveTheOriginalLabels() {
        assertEquals("Context summary: short", PromptBuilder.contextSummary("short"));
        assertEquals("Context (truncated): abc", PromptBuilder.contextTruncated("abcdef", 3));
    }

    @Test
    void lengthCountsCharactersNotUtf16Units() {
        String emoji = "\uD83D\uDE00"; // one character, two UTF-16 units
        assertFalse(PromptBuilder.longerThan(emoji.repeat(3), 3));
        assertTrue(PromptBuilder.longerThan(emoji.repeat(4), 3));
        assertEquals("Context (truncated): " + emoji.repeat(3), PromptBuilder.contextTruncated(emoji.repeat(5), 3));
    }
}
