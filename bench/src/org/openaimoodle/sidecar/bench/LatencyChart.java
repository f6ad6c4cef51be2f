package org.openaimoodle.sidecar.bench;

import java.util.Locale;
import java.util.OptionalDouble;

/**
 * A small SVG bar chart of figure 1: added p50 latency (via − direct) of the sidecar's /ai and /v1 and of nginx at each
 * concurrency, with the 0.5 ms target as a dashed line. p99 differences are left to the table: on a
 * shared two-core machine they are dominated by scheduling noise and can even come out negative.
 * Written by hand: a few rectangles do not justify a plotting dependency.
 */
final class LatencyChart {
    private static final int WIDTH = 720;
    private static final int HEIGHT = 360;
    private static final int LEFT = 60;
    private static final int RIGHT = 170;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;
    private static final String[][] SERIES = {
        {"sidecar", "p50_us", "#1f77b4", "sidecar /ai"},
        {"v1", "p50_us", "#ff7f0e", "sidecar /v1"},
        {"nginx", "p50_us", "#2ca02c", "nginx (floor)"}};

    private final FigureSections figures;

    LatencyChart(Results results) {
        this.figures = new FigureSections(results);
    }

    String svg() {
        double max = 1; // ms: always show the target
        for (int connections : FigureSections.CONNECTIONS) {
            for (String[] series : SERIES) {
                max = Math.max(max, millis(figures.added(series[0], connections, series[1])));
            }
        }
        double step = tickStep(max);
        max = Math.ceil(max / step) * step;
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n",
                WIDTH, HEIGHT));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        text(svg, LEFT, 20, "Added p50 latency (via − direct), ms, by concurrent clients", "start", 14);
        for (double tick = 0; tick <= max + step / 2; tick += step) {
            double y = TOP + plotHeight - tick / max * plotHeight;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                    LEFT, y, LEFT + plotWidth, y));
            text(svg, LEFT - 8, y + 4, String.format(Locale.ROOT, step < 1 ? "%.1f" : "%.0f", tick), "end", 12);
        }
        targetLine(svg, 0.5, max, plotWidth, plotHeight, "target 0.5 ms");
        double groupWidth = (double) plotWidth / FigureSections.CONNECTIONS.length;
        double barWidth = groupWidth * 0.8 / SERIES.length;
        for (int group = 0; group < FigureSections.CONNECTIONS.length; group++) {
            int connections = FigureSections.CONNECTIONS[group];
            double groupLeft = LEFT + group * groupWidth + groupWidth * 0.1;
            for (int s = 0; s < SERIES.length; s++) {
                OptionalDouble added = figures.added(SERIES[s][0], connections, SERIES[s][1]);
                double value = Math.max(0, millis(added));
                double height = value / max * plotHeight;
                double x = groupLeft + s * barWidth;
                svg.append(String.format(Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>%n",
                        x, TOP + plotHeight - height, barWidth - 2, height, SERIES[s][2]));
                text(svg, x + barWidth / 2, TOP + plotHeight - height - 4,
                        added.isPresent() ? String.format(Locale.ROOT, "%.2f", millis(added)) : "n/a", "middle", 10);
            }
            text(svg, LEFT + group * groupWidth + groupWidth / 2, HEIGHT - BOTTOM + 20,
                    connections + (connections == 1 ? " client" : " clients"), "middle", 12);
        }
        for (int s = 0; s < SERIES.length; s++) {
            int y = TOP + 10 + s * 20;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/>%n",
                    WIDTH - RIGHT + 15, y - 11, SERIES[s][2]));
            text(svg, WIDTH - RIGHT + 35, y, SERIES[s][3], "start", 12);
        }
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                LEFT, TOP + plotHeight, LEFT + plotWidth, TOP + plotHeight));
        svg.append("</svg>\n");
        return svg.toString();
    }

    /** 0.5, 1, 2, 5, 10, 20, … so that the axis has at most about eight ticks. */
    private static double tickStep(double max) {
        for (double decade = 0.1; ; decade *= 10) {
            for (int multiple : new int[] {1, 2, 5}) {
                double step = decade * multiple;
                if (step >= 0.5 && max / step <= 8) {
                    return step;
                }
            }
        }
    }

    private static void targetLine(StringBuilder svg, double ms, double max, int plotWidth, int plotHeight, String label) {
        double y = TOP + plotHeight - ms / max * plotHeight;
        svg.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#d62728\" stroke-dasharray=\"6,4\"/>%n",
                LEFT, y, LEFT + plotWidth, y));
        text(svg, LEFT + plotWidth - 4, y - 4, label, "end", 10);
    }

    private static void text(StringBuilder svg, double x, double y, String text, String anchor, int size) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s</text>%n",
                x, y, anchor, size, text.replace("&", "&amp;").replace("<", "&lt;")));
    }

    private static double millis(OptionalDouble micros) {
        return micros.isPresent() ? micros.getAsDouble() / 1000 : 0;
    }
}
