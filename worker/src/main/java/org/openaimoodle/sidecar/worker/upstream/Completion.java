package org.openaimoodle.sidecar.worker.upstream;

/**
 * The model's text from one Chat Completions call, with what it cost.
 *
 * @param text  {@code choices[0].message.content}
 * @param usage the tokens the upstream counted
 */
public record Completion(String text, Usage usage) {
}
