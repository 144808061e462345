package org.carelake.training.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.feature.Imputer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.functions;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.carelake.core.CareLakeException;
import org.carelake.training.cohort.CohortSchema;

/**
 * Trains a cohort risk model with Spark MLlib: median imputation, standardization and L2-regularized
 * logistic regression. The train/test split and the cross-validation folds are by patient, so no
 * patient is on both sides, and stratified by outcome: within each outcome class, patients are ordered
 * by a hash of their (keyed) patient_key and dealt out. A cohort with few outcomes therefore still has
 * outcomes in its test set and in every fold, whichever pseudonymization key the lakehouse uses.
 * Training is deterministic for the same input rows.
 */
public final class CohortModelTrainer {

  /**
   * Share of each outcome class held out for the test set, rounded, but at least one patient of
   * every class with two or more (and never the last one, which training needs).
   */
  public static final double TEST_SHARE = 0.3;
  /** The logistic regression's L2 penalty. */
  static final double REG_PARAM = 0.01;
  /**
   * How {@link #train} fits, as model cards name it. Keep it in step with the pipeline below: a
   * registered version whose card names another algorithm is retrained even on the same training set.
   */
  public static final String ALGORITHM = "Spark MLlib LogisticRegression (L2 " + REG_PARAM + ") after median imputation and "
      + "standardization";
  /** How the split is made, in words, for the model card. */
  public static final String SPLIT_DESCRIPTION = "by patient, stratified by outcome: within each outcome class, patients ordered by "
      + "xxhash64(patient_key); the first round(" + TEST_SHARE + " x class size) are tested (at least 1 of a class of 2 or more), the rest "
      + "train";
  public static final String SCORE = "risk_score";
  public static final String SPLIT = "_split";
  static final String FOLD = "_fold";

  private CohortModelTrainer() {}

  /**
   * @param rows one row per patient with the label, the feature columns and the group columns
   * @param features candidate feature columns
   * @param groupColumns sensitive-group columns carried to predictions for the fairness audit
   */
  public static TrainingRun train(Dataset<Row> rows, List<String> features, List<String> groupColumns) {
    Dataset<Row> split = split(rows).cache();
    try {
      Dataset<Row> train = split.filter(col(SPLIT));
      Dataset<Row> test = split.filter(col(SPLIT).equalTo(false));
      List<String> usable = new ArrayList<>();
      List<String> dropped = new ArrayList<>();
      List<Column> nonNull = new ArrayList<>();
      for (String f : features) {
        nonNull.add(count(col(f)).as(f));
      }
      nonNull.add(count(lit(1)).as("_rows"));
      nonNull.add(org.apache.spark.sql.functions.sum(col(CohortSchema.OUTCOME_LABEL)).as("_positives"));
      Row counts = train.agg(nonNull.get(0), nonNull.subList(1, nonNull.size()).toArray(new Column[0])).head();
      for (String f : features) {
        (counts.getLong(counts.fieldIndex(f)) > 0 ? usable : dropped).add(f);
      }
      long trainRows = counts.getLong(counts.fieldIndex("_rows"));
      double trainPositives = counts.isNullAt(counts.fieldIndex("_positives")) ? 0 : counts.getDouble(counts.fieldIndex("_positives"));
      if (trainRows == 0 || trainPositives == 0 || trainPositives == trainRows) {
        throw CareLakeException.badInput("The training set has " + trainRows + " patients of whom " + (long) trainPositives
                + " have the outcome: a model needs both outcomes to learn from.",
            "generate a larger population (--patients) or widen the cohort or time-at-risk window.");
      }
      PipelineModel model = pipeline(usable).fit(train);
      List<Prediction> trainPredictions = predictions(model, train, groupColumns);
      List<Prediction> testPredictions = predictions(model, test, groupColumns);
      double threshold = Metrics.youdenThreshold(trainPredictions);
      List<Prediction> outOfFold = outOfFold(split, usable, groupColumns);
      return new TrainingRun(model, usable, dropped, trainPredictions.size(), trainPredictions.stream().filter(Prediction::positive).count(),
          testPredictions.size(), testPredictions.stream().filter(Prediction::positive).count(), Metrics.auroc(trainPredictions),
          Metrics.auroc(testPredictions), threshold, testPredictions, outOfFold, Metrics.auroc(outOfFold));
    } finally {
      split.unpersist();
    }
  }

  /** Folds of the cross-validation whose out-of-fold predictions feed the fairness audit. */
  public static final int FOLDS = 5;

  /**
   * Adds {@value #SPLIT} (true: train) and {@value #FOLD} (0 to {@value #FOLDS} - 1), both
   * stratified by outcome: each class is ordered by a hash of patient_key (one hash for the split,
   * another for the folds) and dealt out, so every class has its share of the test set and of each
   * fold. Deterministic: the same rows give the same split.
   */
  static Dataset<Row> split(Dataset<Row> rows) {
    Column key = col(CohortSchema.PATIENT_KEY);
    WindowSpec byClass = Window.partitionBy(col(CohortSchema.OUTCOME_LABEL));
    Column classSize = count(lit(1)).over(byClass);
    Column splitRank = row_number().over(byClass.orderBy(xxhash64(key), key)).minus(1);
    Column foldRank = row_number().over(byClass.orderBy(xxhash64(key, lit("cv")), key)).minus(1);
    Column testCount = greatest(least(classSize.minus(1), lit(1)), round(classSize.multiply(TEST_SHARE)));
    return rows
        .withColumn(SPLIT, splitRank.geq(testCount))
        .withColumn(FOLD, pmod(foldRank, lit(FOLDS)).cast("int"))
        .orderBy(CohortSchema.PATIENT_KEY)
        .coalesce(1);
  }

  /** The model pipeline: median imputation, standardization, L2 logistic regression. */
  static Pipeline pipeline(List<String> features) {
    String[] imputed = features.stream().map(f -> f + "_imputed").toArray(String[]::new);
    return new Pipeline().setStages(new PipelineStage[] {
      new Imputer().setStrategy("median").setInputCols(features.toArray(new String[0])).setOutputCols(imputed),
      new VectorAssembler().setInputCols(imputed).setOutputCol("_features_raw"),
      new StandardScaler().setInputCol("_features_raw").setOutputCol("_features").setWithMean(true).setWithStd(true),
      new LogisticRegression().setFeaturesCol("_features").setLabelCol(CohortSchema.OUTCOME_LABEL).setRegParam(REG_PARAM)
          .setElasticNetParam(0.0).setMaxIter(200).setTol(1e-8).setStandardization(false)
    });
  }

  /**
   * Every cohort patient scored by a model that never saw them: {@value #FOLDS}-fold cross-validation
   * by patient, stratified by outcome (see {@link #split}). A fairness audit needs this: a 30% test
   * set of a small cohort leaves too few outcomes per group to report anything once counts under 11
   * are suppressed.
   */
  static List<Prediction> outOfFold(Dataset<Row> rows, List<String> features, List<String> groupColumns) {
    Column fold = col(FOLD);
    List<Prediction> out = new ArrayList<>();
    for (int k = 0; k < FOLDS; k++) {
      Dataset<Row> fit = rows.filter(fold.notEqual(k));
      Dataset<Row> held = rows.filter(fold.equalTo(k));
      double positives = fit.agg(org.apache.spark.sql.functions.sum(col(CohortSchema.OUTCOME_LABEL))).head().getDouble(0);
      if (positives == 0) {
        continue; // a fold without outcomes cannot be fit; its patients stay unscored (and uncounted)
      }
      out.addAll(predictions(pipeline(features).fit(fit), held, groupColumns));
    }
    return out;
  }

  /** Scores rows with the model: the probability of the outcome. */
  public static Dataset<Row> score(PipelineModel model, Dataset<Row> rows) {
    return model.transform(rows).withColumn(SCORE, functions.vector_to_array(col("probability"), "float64").getItem(1));
  }

  private static List<Prediction> predictions(PipelineModel model, Dataset<Row> rows, List<String> groupColumns) {
    List<Column> cols = new ArrayList<>(List.of(col(CohortSchema.OUTCOME_LABEL), col(SCORE)));
    groupColumns.forEach(g -> cols.add(col(g)));
    List<Prediction> out = new ArrayList<>();
    for (Row r : score(model, rows).orderBy(CohortSchema.PATIENT_KEY).select(cols.toArray(new Column[0])).collectAsList()) {
      Map<String, String> groups = new LinkedHashMap<>();
      for (int i = 0; i < groupColumns.size(); i++) {
        groups.put(groupColumns.get(i), r.isNullAt(i + 2) ? "unknown" : String.valueOf(r.get(i + 2)));
      }
      out.add(new Prediction(r.getDouble(0) >= 0.5, r.getDouble(1), groups));
    }
    return out;
  }
}
