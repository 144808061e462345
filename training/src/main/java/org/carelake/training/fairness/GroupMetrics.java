package org.carelake.training.fairness;

/**
 * One group's fairness metrics as a reviewer may see them. Counts under 11 are shown as "<11" and
 * any rate that would reveal such a count is withheld ({@code null}) with the reason in {@code note}.
 */
public record GroupMetrics(
    String attribute, String group, String patients, String positives, Double prevalence, Double truePositiveRate,
    Double falsePositiveRate, Double auroc, String note) {

  public static final String INSUFFICIENT = "insufficient data";
}
