package org.openaimoodle.sidecar.worker.action;

import java.util.ArrayList;
import java.util.List;

import org.openaimoodle.sidecar.worker.config.Prompts;
import org.openaimoodle.sidecar.worker.upstream.ChatMessage;

/** Builds the messages of each action from the configured prompts; the only place prompts are assembled. */
public final class PromptBuilder {
    private final Prompts prompts;

    /** @param prompts the prompt texts */
    public PromptBuilder(Prompts prompts) {
        this.prompts = prompts;
    }

    /**
     * @param content     the user's message
     * @param contextLine the system line carrying the context ({@link #context}, {@link #contextSummary} or
     *                    {@link #contextTruncated}), or null without context
     * @return chat's messages
     */
    public List<ChatMessage> chat(String content, String contextLine) {
        List<ChatMessage> messages = new ArrayList<>(3);
        messages.add(ChatMessage.system(prompts.chatSystem()));
        if (contextLine != null) {
            messages.add(ChatMessage.system(contextLine));
        }
        messages.add(ChatMessage.user(content));
        return messages;
    }

    /** @return summarize's messages */
    public List<ChatMessage> summarize(String content) {
        return List.of(ChatMessage.system(prompts.summarizeSystem()), ChatMessage.user(content));
    }

    /** @return analyze's messages */
    public List<ChatMessage> analyze(String content) {
        return List.of(ChatMessage.system(prompts.analyzeSystem()),
                ChatMessage.user(prompts.analyzeUserIntro() + content));
    }

    /** @return the system line for a context short enough to send whole */
    public static String context(String context) {
        return "Context: " + context;
    }

    /** @return the system line for a summarized context */
    public static String contextSummary(String summary) {
        return "Context summary: " + summary;
    }

    /** @return the system line for a long context whose summary failed: its first {@code limit} characters */
    public static String contextTruncated(String context, int limit) {
        return "Context (truncated): " + firstCharacters(context, limit);
    }

    /** @return whether the context is longer than {@code limit} characters (Unicode code points) */
    public static boolean longerThan(String context, int limit) {
        return context.length() > limit && context.codePointCount(0, context.length()) > limit;
    }

    private static String firstCharacters(String text, int limit) {
        if (!longerThan(text, limit)) {
            return text;
        }
        return text.substring(0, text.offsetByCodePoints(0, limit)); // never splits a surrogate pair
    }
}
