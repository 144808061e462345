package org.carelake.training.registry;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.carelake.core.report.Reports;

/**
 * A registered model version: immutable once written.
 *
 * @param card the model card (metrics, lineage, features, fairness summary) as stored in model-card.json
 */
public record ModelVersion(String model, int version, Path directory, Map<String, Object> card) {

  /** The bias report's files inside a version's folder. */
  public static final String BIAS_REPORT_HTML = "bias-report.html";
  public static final String BIAS_REPORT_JSON = "bias-report.json";

  /** The bias report registered with this version. */
  public Reports.Written biasReport() {
    return new Reports.Written(directory.resolve(BIAS_REPORT_HTML), directory.resolve(BIAS_REPORT_JSON));
  }

  /** A metric of the card, or NaN when the card has none (JSON null for an undefined AUROC). */
  public double metric(String name) {
    Object value = ((Map<?, ?>) card.getOrDefault("metrics", Map.of())).get(name);
    return value instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  /** The held-out AUROC to three decimals, or "undefined". */
  public String aurocTestText() {
    double auroc = metric("auroc_test");
    return Double.isNaN(auroc) ? "undefined" : String.format(Locale.ROOT, "%.3f", auroc);
  }
}
