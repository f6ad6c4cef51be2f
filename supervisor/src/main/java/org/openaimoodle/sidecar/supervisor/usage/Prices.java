package org.openaimoodle.sidecar.supervisor.usage;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code SIDECAR_PRICES}: USD per million prompt and completion tokens per model, e.g.
 * {@code gpt-4o-mini=0.15/0.60}. A model without a price costs nothing in the report (its cost column is empty).
 */
public final class Prices {
    /** No prices configured. */
    public static final Prices NONE = new Prices(Map.of());
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    private final Map<String, BigDecimal[]> perModel;

    private Prices(Map<String, BigDecimal[]> perModel) {
        this.perModel = perModel;
    }

    /**
     * @param entries the list entries, each {@code model=prompt/completion}
     * @return the prices
     * @throws IllegalArgumentException naming the entry that is not {@code model=number/number}
     */
    public static Prices parse(List<String> entries) {
        Map<String, BigDecimal[]> prices = new LinkedHashMap<>();
        for (String entry : entries) {
            int eq = entry.lastIndexOf('=');
            int slash = entry.indexOf('/', eq + 1);
            if (eq <= 0 || slash < 0) {
                throw new IllegalArgumentException("'" + entry + "' is not model=prompt/completion");
            }
            prices.put(entry.substring(0, eq).strip(), new BigDecimal[] {
                    number(entry, entry.substring(eq + 1, slash)), number(entry, entry.substring(slash + 1))});
        }
        return new Prices(Map.copyOf(prices));
    }

    private static BigDecimal number(String entry, String text) {
        try {
            BigDecimal value = new BigDecimal(text.strip());
            if (value.signum() < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + entry + "': '" + text.strip()
                    + "' is not a price (a non-negative number of USD per million tokens)");
        }
    }

    /** @return whether this model has a price */
    public boolean knows(String model) {
        return perModel.containsKey(model);
    }

    /**
     * @return the cost in USD of these tokens of this model; zero for a model without a price
     */
    public BigDecimal cost(String model, long promptTokens, long completionTokens) {
        BigDecimal[] price = perModel.get(model);
        if (price == null) {
            return BigDecimal.ZERO;
        }
        return price[0].multiply(BigDecimal.valueOf(promptTokens))
                .add(price[1].multiply(BigDecimal.valueOf(completionTokens)))
                .divide(MILLION);
    }
}
