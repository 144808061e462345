package org.carelake.training;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.SensitiveGroups;
import org.carelake.core.TableId;
import org.carelake.core.report.Reports;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.schema.MedicationRequestSchema;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.schema.PatientSchema;
import org.carelake.features.FeatureSet;
import org.carelake.features.FeatureStore;
import org.carelake.features.PointInTimeJoin;
import org.carelake.training.cohort.Cohort;
import org.carelake.training.cohort.CohortBuilder;
import org.carelake.training.cohort.CohortDefinition;
import org.carelake.training.cohort.CohortSchema;
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
 */
public final class TrainJob {

  public static final List<TableId> INPUTS = List.of(PatientSchema.TABLE, EncounterSchema.TABLE, ConditionSchema.TABLE,
      ObservationSchema.TABLE, MedicationRequestSchema.TABLE);

  /** Looks up whether a table version passed its quality checks (implemented by the pipelines side). */
  @FunctionalInterface
  public interface QualityLedger {
    /** The recorded verdict (PASS, WARN, FAIL) for this table at this version, or null if never checked. */
    String verdict(TableId table, long version);
  }

  /** What the job did. */
  public record Result(Cohort cohort, TrainingRun run, BiasAudit.Result audit, Reports.Written biasReport, ModelVersion version,
      Map<String, Long> inputVersions, String trainingSetHash) {}

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final Progress progress;

  public TrainJob(SparkSession spark, Lakehouse lakehouse, Progress progress) {
    this.spark = spark;
    this.lakehouse = lakehouse;
    this.progress = progress;
  }

  @SuppressWarnings("unchecked")
  public Result execute(CohortDefinition definition, FeatureSet features, QualityLedger ledger, SensitiveGroups groups,
      double maxTprGap) {
    Map<TableId, Long> pinned = new LinkedHashMap<>();
    for (TableId table : INPUTS) {
      long version = lakehouse.version(spark, table).orElseThrow(() -> CareLakeException.badInput(
          "Training input " + table + " does not exist.", "ingest data first: ./carelake ingest fhir --input PATH"));
      String verdict = ledger.verdict(table, version);
      if (verdict == null || verdict.equals("FAIL")) {
        throw CareLakeException.gateFailed("Training input " + table + " at Delta version " + version
                + (verdict == null ? " has no quality verdict" : " failed its quality checks") + "; models only train on checked data.",
            "run ./carelake quality run and fix any failing error-level checks.");
      }
      pinned.put(table, version);
    }
    java.util.function.Function<TableId, Dataset<Row>> read = t -> lakehouse.readAt(spark, t, pinned.get(t));

    progress.detail("building cohort " + definition.name());
    spark.sparkContext().setJobGroup("train-" + definition.name(), "cohort, features and model " + definition.name(), false);
    try {
      Cohort cohort = new CohortBuilder(read).build(definition);
      Dataset<Row> entities = cohort.rows().withColumn(PointInTimeJoin.AS_OF, col(CohortSchema.INDEX_TIME));
      progress.detail("materializing " + features.features().size() + " point-in-time features (" + features.name() + ")");
      Dataset<Row> withFeatures = new FeatureStore(read).features(entities, features);
      Dataset<Row> patientGroups = read.apply(PatientSchema.TABLE).select(
          col(PatientSchema.PATIENT_KEY).as(CohortSchema.PATIENT_KEY),
          col(PatientSchema.GENDER).as(SensitiveGroups.SEX),
          col(PatientSchema.RACE).as(SensitiveGroups.RACE),
          col(PatientSchema.ETHNICITY).as(SensitiveGroups.ETHNICITY));
      Dataset<Row> trainingSet = withFeatures.join(patientGroups, CohortSchema.PATIENT_KEY, "left")
          .withColumn(SensitiveGroups.AGE_BAND, groups.ageBand(col(CohortSchema.AGE_AT_INDEX)))
          .cache();
      List<String> featureColumns = new ArrayList<>(List.of(FeatureStore.AGE_AT_AS_OF, FeatureStore.SEX_FEMALE));
      featureColumns.addAll(features.names());
      String trainingSetHash = contentHash(trainingSet);
      Map<String, Long> outputVersions = writeGold(definition, cohort, trainingSet, featureColumns);
      progress.detail("training logistic regression on " + featureColumns.size() + " features");
      TrainingRun run = CohortModelTrainer.train(trainingSet, featureColumns, groups.attributes());
      trainingSet.unpersist();

      BiasAudit.Result audit = BiasAudit.audit(run.outOfFoldPredictions(), run.threshold(), groups.attributes());
      Map<String, Object> context = new LinkedHashMap<>();
      context.put("model", definition.name());
      context.put("cohort", definition.description());
      context.put("evaluated on", "out-of-fold predictions of " + CohortModelTrainer.FOLDS + "-fold cross-validation by patient: "
          + run.outOfFoldPredictions().size() + " cohort patients, each scored by a model that never saw them");
      context.put("AUROC (cross-validated)", String.format(java.util.Locale.ROOT, "%.3f", run.aurocCrossValidated()));
      context.put("AUROC (registered model, held-out test set)", String.format(java.util.Locale.ROOT, "%.3f", run.aurocTest()));
      Reports.Written biasReport = BiasReport.write(lakehouse.reportsDir().resolve("bias"), definition.name() + "-bias-report",
          audit, context);

      Map<String, Long> inputVersions = new LinkedHashMap<>();
      pinned.forEach((t, v) -> inputVersions.put(t.qualifiedName(), v));
      Map<String, Object> card = card(definition, features, run, audit, inputVersions, trainingSetHash, featureColumns);
      ((Map<String, Object>) card.get("lineage")).put("output_delta_versions", outputVersions);
      ModelVersion version = new ModelRegistry(spark, lakehouse).register(definition.name(), run.model(), card, biasReport);
      if (audit.maxTprGap() > maxTprGap) {
        throw CareLakeException.gateFailed(String.format(java.util.Locale.ROOT,
                "Fairness gate: the largest true-positive-rate gap between groups is %.3f, above the allowed %.3f "
                    + "(model registered as v%d for review, see %s).", audit.maxTprGap(), maxTprGap, version.version(), biasReport.html()),
            "review the bias report; retrain with more representative data, or raise --max-tpr-gap with a documented reason.");
      }
      return new Result(cohort, run, audit, biasReport, version, inputVersions, trainingSetHash);
    } finally {
      spark.sparkContext().clearJobGroup();
    }
  }

  /** The gold table names of a cohort's rows and of its point-in-time features. */
  public static TableId cohortTable(CohortDefinition definition) {
    return TableId.gold("cohort_" + definition.name().replace('-', '_'));
  }

  public static TableId featureTable(CohortDefinition definition) {
    return TableId.gold("features_" + definition.name().replace('-', '_'));
  }

  /**
   * Materializes the cohort and its features as gold tables, for notebooks and audits. Both are pure
   * functions of the pinned inputs, so the same inputs give no new version.
   */
  private Map<String, Long> writeGold(CohortDefinition definition, Cohort cohort, Dataset<Row> trainingSet, List<String> featureColumns) {
    List<org.apache.spark.sql.Column> featureCols = new ArrayList<>(List.of(col(CohortSchema.PATIENT_KEY), col(PointInTimeJoin.AS_OF)));
    featureColumns.forEach(f -> featureCols.add(col(f)));
    Map<String, Long> versions = new LinkedHashMap<>();
    try (org.carelake.core.LakehouseTransaction tx = new org.carelake.core.LakehouseTransaction(spark, lakehouse)) {
      org.carelake.core.DeltaWriter writer = new org.carelake.core.DeltaWriter(spark, lakehouse, tx);
      for (var write : List.of(
          writer.replace(cohort.rows().orderBy(CohortSchema.PATIENT_KEY), cohortTable(definition)),
          writer.replace(trainingSet.select(featureCols.toArray(new org.apache.spark.sql.Column[0])).orderBy(CohortSchema.PATIENT_KEY),
              featureTable(definition)))) {
        versions.put(write.table().qualifiedName(), write.versionAfter());
      }
      tx.commit();
    }
    return versions;
  }

  private static Map<String, Object> card(CohortDefinition definition, FeatureSet features, TrainingRun run, BiasAudit.Result audit,
      Map<String, Long> inputVersions, String trainingSetHash, List<String> featureColumns) {
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("auroc_test", run.aurocTest());
    metrics.put("auroc_train", run.aurocTrain());
    metrics.put("auroc_cross_validated", run.aurocCrossValidated());
    metrics.put("threshold", run.threshold());
    metrics.put("train_patients", run.trainRows());
    metrics.put("test_patients", run.testRows());
    metrics.put("max_tpr_gap", audit.maxTprGap());
    Map<String, Object> lineage = new LinkedHashMap<>();
    lineage.put("input_delta_versions", inputVersions);
    lineage.put("quality_verdicts_required", "PASS or WARN at each input version");
    lineage.put("training_set_hash", trainingSetHash);
    lineage.put("cohort_definition_hash", definition.sourceHash());
    lineage.put("feature_set", features.name());
    lineage.put("feature_versions", features.versions());
    Map<String, Object> card = new LinkedHashMap<>();
    card.put("description", definition.description());
    card.put("algorithm", "Spark MLlib LogisticRegression (L2 0.01) after median imputation and standardization");
    card.put("split", "by patient: xxhash64(patient_key) mod 10 < " + CohortModelTrainer.TRAIN_BUCKETS + " trains, the rest tests");
    card.put("features", featureColumns);
    card.put("dropped_features", run.droppedFeatures());
    card.put("metrics", metrics);
    card.put("lineage", lineage);
    card.put("bias_report", "bias-report.html (and .json) in this folder");
    return card;
  }

  /** A hash of the training rows' content, independent of row order. */
  static String contentHash(Dataset<Row> rows) {
    List<Row> hashes = rows.select(sha2(to_json(struct(col("*"))), 256).as("h")).orderBy("h").collectAsList();
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Row h : hashes) {
        digest.update(h.getString(0).getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
