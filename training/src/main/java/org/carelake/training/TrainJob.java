package org.carelake.training;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.SensitiveGroups;
import org.carelake.core.report.Reports;
import org.carelake.features.FeatureRegistry;
import org.carelake.features.FeatureSet;
import org.carelake.training.cohort.Cohort;
import org.carelake.training.cohort.CohortDefinition;
import org.carelake.training.fairness.BiasAudit;
import org.carelake.training.fairness.BiasReport;
import org.carelake.training.model.CohortModelTrainer;
import org.carelake.training.model.TrainingRun;
import org.carelake.training.registry.ModelRegistry;
import org.carelake.training.registry.ModelVersion;

/**
 * Cohort to registered model: pins the Delta version of every input table, refuses inputs without
 * a passing quality verdict at that version, builds the cohort and point-in-time features from the
 * pinned versions, trains, audits fairness per sensitive group, and registers a new model version
 * whose card records all of it.
 *
 * <p>When the model's latest registered version was trained on the very training set these inputs
 * give (same id: same cohort definition, feature definitions, pinned Delta versions and sensitive
 * groups) with the algorithm and split its card names, nothing is built or registered: a scheduled
 * run on unchanged data would only add an identical version. The fairness gate is still applied, to
 * that version's audit. {@code retrain} trains anyway (after a fix in CareLake's training code that
 * keeps the algorithm's description, for example).
 */
public final class TrainJob {

  /** What the job did: trained and registered a version, or found the latest one up to date. */
  public sealed interface Outcome permits Result, UpToDate {
    /** The registered version this run trained, or the one it found up to date. */
    ModelVersion version();

    Map<String, Long> inputVersions();
  }

  /** A new version was trained and registered. */
  public record Result(Cohort cohort, TrainingRun run, BiasAudit.Result audit, Reports.Written biasReport, ModelVersion version,
      Map<String, Long> inputVersions, TrainingSets.Record trainingSet) implements Outcome {}

  /** Nothing trained: {@code version}, the latest, was trained on training set {@code trainingSetId}, the one these inputs give. */
  public record UpToDate(ModelVersion version, String trainingSetId, Map<String, Long> inputVersions) implements Outcome {}

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final Progress progress;

  public TrainJob(SparkSession spark, Lakehouse lakehouse, Progress progress) {
    this.spark = spark;
    this.lakehouse = lakehouse;
    this.progress = progress;
  }

  @SuppressWarnings("unchecked")
  public Outcome execute(CohortDefinition definition, FeatureSet features, PinnedInputs.QualityVerdicts verdicts, SensitiveGroups groups,
      double maxTprGap, boolean retrain) {
    ModelRegistry registry = new ModelRegistry(spark, lakehouse);
    registry.recover(definition.name()).forEach(progress::detail);
    PinnedInputs inputs = PinnedInputs.current(spark, lakehouse, PinnedInputs.forFeatures(features), verdicts);
    if (!retrain) {
      String trainingSetId = new TrainingSets(spark, lakehouse, groups).id(definition, features, inputs);
      Optional<ModelVersion> current = upToDate(registry.versions(definition.name()), trainingSetId);
      if (current.isPresent()) {
        ModelVersion latest = current.get();
        UpToDate upToDate = new UpToDate(latest, trainingSetId, inputs.versions());
        progress.detail(definition.name() + " v" + latest.version() + " was trained on training set " + trainingSetId
            + ", the one the current inputs give: nothing to train");
        gate(latest.metric("max_tpr_gap"), maxTprGap, "nothing trained: v" + latest.version() + " was trained on these inputs",
            latest.biasReport().html());
        return upToDate;
      }
    }
    progress.detail("building cohort " + definition.name() + " and its point-in-time training set (" + features.name() + ", "
        + features.features().size() + " features)");
    spark.sparkContext().setJobGroup("train-" + definition.name(), "cohort, features and model " + definition.name(), false);
    try {
      new FeatureRegistry(spark, lakehouse).register(List.of(features));
      TrainingSets.Built built = new TrainingSets(spark, lakehouse, groups).create(definition, features, inputs);
      CohortJob.writeReport(lakehouse, built.cohort(), inputs.versions());
      progress.detail("training set " + built.record().id() + " (" + built.record().rowCount() + " rows); training logistic regression on "
          + built.featureColumns().size() + " features");
      TrainingRun run = CohortModelTrainer.train(built.rows(), built.featureColumns(), groups.attributes());

      BiasAudit.Result audit = BiasAudit.audit(run.outOfFoldPredictions(), run.threshold(), groups.attributes());
      Map<String, Object> context = new LinkedHashMap<>();
      context.put("model", definition.name());
      context.put("cohort", definition.description());
      context.put("training set", built.record().id());
      context.put("evaluated on", "out-of-fold predictions of " + CohortModelTrainer.FOLDS + "-fold cross-validation by patient: "
          + run.outOfFoldPredictions().size() + " cohort patients, each scored by a model that never saw them");
      context.put("groups taken at", "each patient's index date: age band from the age at index, payer type from the latest claim "
          + "created by then (" + String.join(", ", groups.attributes()) + ")");
      context.put("AUROC (cross-validated)", String.format(java.util.Locale.ROOT, "%.3f", run.aurocCrossValidated()));
      context.put("AUROC (registered model, held-out test set)", run.aurocTestText());
      Reports.Written biasReport = BiasReport.write(lakehouse.reportsDir().resolve("bias"), definition.name() + "-bias-report",
          audit, context);

      Map<String, Object> card = card(definition, features, run, audit, inputs.versions(), built.record(), built.featureColumns());
      ((Map<String, Object>) card.get("lineage")).put("output_delta_versions", built.outputVersions());
      ModelVersion version = registry.register(definition.name(), run.model(), card, biasReport);
      gate(audit.maxTprGap(), maxTprGap, "model registered as v" + version.version() + " for review", biasReport.html());
      return new Result(built.cohort(), run, audit, biasReport, version, inputs.versions(), built.record());
    } finally {
      spark.sparkContext().clearJobGroup();
    }
  }

  /**
   * The latest of {@code versions} (in version order) when training now would only repeat it: it was
   * trained on training set {@code trainingSetId} with the algorithm and split this release uses
   * (as its card names them).
   */
  static Optional<ModelVersion> upToDate(List<ModelVersion> versions, String trainingSetId) {
    if (versions.isEmpty()) {
      return Optional.empty();
    }
    ModelVersion latest = versions.get(versions.size() - 1);
    Map<?, ?> lineage = (Map<?, ?>) latest.card().getOrDefault("lineage", Map.of());
    boolean same = trainingSetId.equals(lineage.get("training_set_id"))
        && CohortModelTrainer.ALGORITHM.equals(latest.card().get("algorithm"))
        && CohortModelTrainer.SPLIT_DESCRIPTION.equals(latest.card().get("split"));
    return same ? Optional.of(latest) : Optional.empty();
  }

  /** Fails the run when the model's largest true-positive-rate gap is above the allowed one. */
  private static void gate(double tprGap, double maxTprGap, String model, Path biasReport) {
    if (tprGap > maxTprGap) {
      throw CareLakeException.gateFailed(String.format(java.util.Locale.ROOT,
              "Fairness gate: the largest true-positive-rate gap between groups is %.3f, above the allowed %.3f (%s, see %s).",
              tprGap, maxTprGap, model, biasReport),
          "review the bias report; retrain with more representative data, or raise --max-tpr-gap with a documented reason.");
    }
  }

  /** JSON has no NaN: an undefined metric is null in the card (and in ops.model_registry). */
  private static Double definedOrNull(double v) {
    return Double.isNaN(v) ? null : v;
  }

  private static Map<String, Object> card(CohortDefinition definition, FeatureSet features, TrainingRun run, BiasAudit.Result audit,
      Map<String, Long> inputVersions, TrainingSets.Record trainingSet, List<String> featureColumns) {
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("auroc_test", definedOrNull(run.aurocTest()));
    run.aurocTestUndefinedBecause().ifPresent(why -> metrics.put("auroc_test_undefined_because", why));
    metrics.put("auroc_train", definedOrNull(run.aurocTrain()));
    metrics.put("auroc_cross_validated", definedOrNull(run.aurocCrossValidated()));
    metrics.put("threshold", run.threshold());
    metrics.put("train_patients", run.trainRows());
    metrics.put("test_patients", run.testRows());
    metrics.put("max_tpr_gap", audit.maxTprGap());
    Map<String, Object> lineage = new LinkedHashMap<>();
    lineage.put("input_delta_versions", inputVersions);
    lineage.put("quality_verdicts_required", "PASS or WARN at each input version");
    lineage.put("training_set_id", trainingSet.id());
    lineage.put("training_set_hash", trainingSet.contentHash());
    lineage.put("training_set_rebuild", "./carelake trainset --rebuild " + trainingSet.id());
    lineage.put("cohort_definition_hash", definition.sourceHash());
    lineage.put("feature_set", features.name());
    lineage.put("feature_versions", features.versions());
    Map<String, Object> card = new LinkedHashMap<>();
    card.put("description", definition.description());
    card.put("algorithm", CohortModelTrainer.ALGORITHM);
    card.put("split", CohortModelTrainer.SPLIT_DESCRIPTION);
    card.put("features", featureColumns);
    card.put("dropped_features", run.droppedFeatures());
    card.put("metrics", metrics);
    card.put("lineage", lineage);
    card.put("bias_report", "bias-report.html (and .json) in this folder");
    return card;
  }
}
