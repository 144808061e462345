package org.carelake.core.report;

import java.util.List;
import java.util.Locale;

/**
 * Building blocks for self-contained HTML reports: no scripts, no fonts, no network; charts are
 * inline SVG so a report opens anywhere, including air-gapped review machines.
 */
public final class Html {

  private Html() {}

  public static String escape(String s) {
    if (s == null) {
      return "";
    }
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  public static String page(String title, String body) {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title>\n<style>"
        + "body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;max-width:70em;color:#222}"
        + "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:0.9em}"
        + "th{background:#f3f3f3}.pass{color:#17692b;font-weight:bold}.fail{color:#b00020;font-weight:bold}"
        + ".warn{color:#9a6700;font-weight:bold}.muted{color:#777}.num{text-align:right;font-variant-numeric:tabular-nums}"
        + "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}</style></head><body>\n<h1>" + escape(title) + "</h1>\n"
        + body + "\n</body></html>\n";
  }

  /** One bar of a horizontal bar chart; {@code value} null draws no bar and shows {@code label}. */
  public record Bar(String category, Double value, String label) {}

  /**
   * A horizontal bar chart of values in {@code [0, max]}, with an optional reference line (e.g. the
   * overall rate) so group differences are visible at a glance.
   */
  public static String barChart(String title, List<Bar> bars, double max, Double reference, String referenceLabel) {
    int rowHeight = 22;
    int labelWidth = 220;
    int chartWidth = 420;
    int height = rowHeight * bars.size() + 40;
    StringBuilder svg = new StringBuilder();
    svg.append("<figure><figcaption><strong>").append(escape(title)).append("</strong></figcaption>")
        .append("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"").append(labelWidth + chartWidth + 120)
        .append("\" height=\"").append(height).append("\" font-size=\"12\">");
    for (int i = 0; i < bars.size(); i++) {
      Bar bar = bars.get(i);
      int y = 10 + i * rowHeight;
      svg.append("<text x=\"").append(labelWidth - 6).append("\" y=\"").append(y + 14).append("\" text-anchor=\"end\">")
          .append(escape(bar.category())).append("</text>");
      if (bar.value() != null && max > 0) {
        int w = (int) Math.round(chartWidth * Math.max(0, Math.min(1, bar.value() / max)));
        svg.append("<rect x=\"").append(labelWidth).append("\" y=\"").append(y + 3).append("\" width=\"").append(w)
            .append("\" height=\"").append(rowHeight - 8).append("\" fill=\"#4a78b5\"/>");
        svg.append("<text x=\"").append(labelWidth + w + 4).append("\" y=\"").append(y + 14).append("\">")
            .append(escape(bar.label())).append("</text>");
      } else {
        svg.append("<text x=\"").append(labelWidth + 4).append("\" y=\"").append(y + 14).append("\" fill=\"#777\">")
            .append(escape(bar.label())).append("</text>");
      }
    }
    if (reference != null && max > 0) {
      int x = labelWidth + (int) Math.round(chartWidth * Math.min(1, reference / max));
      svg.append("<line x1=\"").append(x).append("\" y1=\"5\" x2=\"").append(x).append("\" y2=\"").append(height - 25)
          .append("\" stroke=\"#b00020\" stroke-dasharray=\"4 3\"/>");
      svg.append("<text x=\"").append(x).append("\" y=\"").append(height - 10).append("\" fill=\"#b00020\" text-anchor=\"middle\">")
          .append(escape(referenceLabel)).append("</text>");
    }
    svg.append("</svg></figure>");
    return svg.toString();
  }

  /** One point of a line chart: {@code label} names it on the x axis (e.g. a Delta version); a null value is a gap. */
  public record Point(String label, Double value) {}

  /**
   * A line chart of values over successive runs, oldest left, with the y range labelled so a drop or
   * a drift is visible at a glance; {@code format} renders the axis and point labels.
   */
  public static String lineChart(String title, List<Point> points, java.util.function.DoubleFunction<String> format) {
    int left = 90;
    int width = 520;
    int top = 12;
    int height = 140;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (Point p : points) {
      if (p.value() != null) {
        min = Math.min(min, p.value());
        max = Math.max(max, p.value());
      }
    }
    StringBuilder svg = new StringBuilder();
    svg.append("<figure><figcaption><strong>").append(escape(title)).append("</strong></figcaption>")
        .append("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"").append(left + width + 40).append("\" height=\"")
        .append(top + height + 40).append("\" font-size=\"11\">");
    svg.append("<line x1=\"").append(left).append("\" y1=\"").append(top).append("\" x2=\"").append(left).append("\" y2=\"")
        .append(top + height).append("\" stroke=\"#999\"/><line x1=\"").append(left).append("\" y1=\"").append(top + height)
        .append("\" x2=\"").append(left + width).append("\" y2=\"").append(top + height).append("\" stroke=\"#999\"/>");
    if (min == Double.POSITIVE_INFINITY) {
      svg.append("<text x=\"").append(left + 8).append("\" y=\"").append(top + height / 2).append("\" fill=\"#777\">no values yet</text>");
      return svg.append("</svg></figure>").toString();
    }
    // A flat series sits mid-chart; otherwise pad the range so extremes are not on the axes.
    double pad = max > min ? (max - min) * 0.1 : Math.max(Math.abs(max) * 0.1, 1);
    double lo = min - pad;
    double hi = max + pad;
    svg.append("<text x=\"").append(left - 6).append("\" y=\"").append(top + 4).append("\" text-anchor=\"end\">").append(escape(format.apply(hi)))
        .append("</text><text x=\"").append(left - 6).append("\" y=\"").append(top + height).append("\" text-anchor=\"end\">")
        .append(escape(format.apply(lo))).append("</text>");
    double step = points.size() > 1 ? (double) width / (points.size() - 1) : 0;
    StringBuilder line = new StringBuilder();
    boolean penDown = false;
    int labelEvery = Math.max(1, points.size() / 10);
    for (int i = 0; i < points.size(); i++) {
      Point p = points.get(i);
      int x = left + (int) Math.round(points.size() > 1 ? i * step : width / 2.0);
      if (i % labelEvery == 0 || i == points.size() - 1) {
        svg.append("<text x=\"").append(x).append("\" y=\"").append(top + height + 16).append("\" text-anchor=\"middle\">")
            .append(escape(p.label())).append("</text>");
      }
      if (p.value() == null) {
        penDown = false;
        continue;
      }
      int y = top + (int) Math.round(height * (hi - p.value()) / (hi - lo));
      line.append(penDown ? "L" : "M").append(x).append(',').append(y).append(' ');
      penDown = true;
      svg.append("<circle cx=\"").append(x).append("\" cy=\"").append(y).append("\" r=\"3\" fill=\"#4a78b5\"><title>")
          .append(escape(p.label() + ": " + format.apply(p.value()))).append("</title></circle>");
    }
    svg.append("<path d=\"").append(line.toString().trim()).append("\" fill=\"none\" stroke=\"#4a78b5\" stroke-width=\"2\"/>");
    Point last = points.get(points.size() - 1);
    if (last.value() != null) {
      svg.append("<text x=\"").append(left + width + 4).append("\" y=\"").append(top + (int) Math.round(height * (hi - last.value()) / (hi - lo)) + 4)
          .append("\">").append(escape(format.apply(last.value()))).append("</text>");
    }
    svg.append("</svg></figure>");
    return svg.toString();
  }

  public static String percent(double share) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * share);
  }

  public static String number(double value, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }
}
