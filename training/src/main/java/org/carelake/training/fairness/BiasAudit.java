package org.carelake.training.fairness;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.carelake.core.SensitiveGroups;
import org.carelake.core.Suppression;
import org.carelake.training.model.Metrics;
import org.carelake.training.model.Prediction;

/**
 * Per-group model performance on held-out patients: group size, outcome prevalence, true and false
 * positive rates at the model's threshold, and AUROC, for every sensitive attribute. Small cells are
 * suppressed here, at the source, so no report or JSON built from the result can leak them.
 */
public final class BiasAudit {

  private BiasAudit() {}

  /**
   * The audit of one model on its test predictions.
   *
   * @param findings what keeps the audit from judging an attribute at all (e.g. every patient's
   *     payer type unknown because no claims were ingested), for the top of the report
   */
  public record Result(double threshold, GroupMetrics overall, List<GroupMetrics> groups, Map<String, Double> tprGapByAttribute,
      Map<String, Double> aurocGapByAttribute, List<String> findings) {

    /** The largest TPR gap between reportable groups of any attribute (equal opportunity difference). */
    public double maxTprGap() {
      return tprGapByAttribute.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }
  }

  public static Result audit(List<Prediction> predictions, double threshold, List<String> attributes) {
    GroupMetrics overall = metrics("all", "all patients", predictions, threshold);
    List<GroupMetrics> groups = new ArrayList<>();
    Map<String, Double> tprGaps = new TreeMap<>();
    Map<String, Double> aurocGaps = new TreeMap<>();
    List<String> findings = new ArrayList<>();
    for (String attribute : attributes) {
      Map<String, List<Prediction>> byGroup = predictions.stream()
          .collect(Collectors.groupingBy(p -> p.groups().getOrDefault(attribute, SensitiveGroups.UNKNOWN), TreeMap::new,
              Collectors.toList()));
      List<GroupMetrics> these = new ArrayList<>();
      byGroup.forEach((group, members) -> these.add(metrics(attribute, group, members, threshold)));
      groups.addAll(these);
      if (!predictions.isEmpty() && byGroup.keySet().equals(java.util.Set.of(SensitiveGroups.UNKNOWN))) {
        findings.add(attribute + ": every audited patient's " + attribute + " is unknown, so its groups cannot be compared"
            + (attribute.equals(SensitiveGroups.PAYER_TYPE)
                ? "; payer type comes from silver.claim: ingest the export's Claim resources to audit by it" : ""));
      }
      gap(these, GroupMetrics::truePositiveRate).ifPresent(g -> tprGaps.put(attribute, g));
      gap(these, GroupMetrics::auroc).ifPresent(g -> aurocGaps.put(attribute, g));
    }
    return new Result(threshold, overall, groups, tprGaps, aurocGaps, List.copyOf(findings));
  }

  private static java.util.Optional<Double> gap(List<GroupMetrics> groups, java.util.function.Function<GroupMetrics, Double> metric) {
    List<Double> values = groups.stream().map(metric).filter(v -> v != null && !v.isNaN()).toList();
    if (values.size() < 2) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(values.stream().mapToDouble(Double::doubleValue).max().getAsDouble()
        - values.stream().mapToDouble(Double::doubleValue).min().getAsDouble());
  }

  static GroupMetrics metrics(String attribute, String group, List<Prediction> members, double threshold) {
    long n = members.size();
    long positives = members.stream().filter(Prediction::positive).count();
    long negatives = n - positives;
    if (n < Suppression.MIN_CELL) {
      return new GroupMetrics(attribute, group, Suppression.display(n), null, null, null, null, null,
          GroupMetrics.INSUFFICIENT + ": fewer than " + Suppression.MIN_CELL + " patients");
    }
    long tp = members.stream().filter(p -> p.positive() && p.score() >= threshold).count();
    long fp = members.stream().filter(p -> !p.positive() && p.score() >= threshold).count();
    boolean positivesShown = !Suppression.suppressed(positives);
    boolean negativesShown = !Suppression.suppressed(negatives);
    List<String> notes = new ArrayList<>();
    // Complementary suppression: with the group size shown, a rate over one class reveals that class's
    // size by its denominator (e.g. FPR 31.8% = 7/22 of 24), hence the other class's. So every rate
    // needs both classes to be reportable.
    boolean bothReportable = positives >= Suppression.MIN_CELL && negatives >= Suppression.MIN_CELL;
    Double prevalence = positivesShown && negativesShown ? (double) positives / n : null;
    Double tpr = bothReportable ? (double) tp / positives : null;
    Double fpr = bothReportable ? (double) fp / negatives : null;
    Double auroc = bothReportable ? Metrics.auroc(members) : null;
    if (tpr == null) {
      notes.add("TPR: " + GroupMetrics.INSUFFICIENT + " (outcomes " + Suppression.display(positives) + ")");
    }
    if (fpr == null) {
      notes.add("FPR: " + GroupMetrics.INSUFFICIENT + " (withheld with TPR: it would reveal the suppressed count)");
    }
    if (auroc == null) {
      notes.add("AUROC needs at least " + Suppression.MIN_CELL + " patients with and without the outcome");
    }
    return new GroupMetrics(attribute, group, Long.toString(n), Suppression.display(positives), prevalence, tpr, fpr, auroc,
        String.join("; ", notes));
  }
}
