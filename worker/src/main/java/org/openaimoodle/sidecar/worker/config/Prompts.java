package org.openaimoodle.sidecar.worker.config;

/**
 * The prompt texts of the three actions. Defaults are the original sidecar's, word for word; each can be
 * overridden (config file or environment) under the variable named on its component.
 *
 * @param chatSystem       system prompt of chat ({@code SIDECAR_PROMPT_CHAT_SYSTEM})
 * @param summarizeSystem  system prompt of summarize ({@code SIDECAR_PROMPT_SUMMARIZE_SYSTEM})
 * @param analyzeSystem    system prompt of analyze ({@code SIDECAR_PROMPT_ANALYZE_SYSTEM})
 * @param analyzeUserIntro text put before the content in analyze's user message
 *                         ({@code SIDECAR_PROMPT_ANALYZE_USER})
 */
public record Prompts(String chatSystem, String summarizeSystem, String analyzeSystem, String analyzeUserIntro) {

    /** The original sidecar's prompts. */
    public static final Prompts ORIGINAL = new Prompts(
            "You are a helpful educational assistant integrated with Moodle.",
            "Summarize the following text concisely while preserving key information.",
            "You are an educational content analyst. Provide structured analysis of learning materials.",
            "Analyze the following educational content and provide insights about learning objectives, "
                    + "difficulty level, and suggestions for improvement:\n\n");
}
