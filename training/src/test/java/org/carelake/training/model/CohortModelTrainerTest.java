package org.carelake.training.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.testing.SparkExtension;
import org.carelake.training.cohort.CohortSchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The split behind the registered model's test AUROC and the cross-validation behind the fairness
 * audit: stratified by outcome, so a cohort with few outcomes still tests on some, for any key.
 */
@ExtendWith(SparkExtension.class)
class CohortModelTrainerTest {

  private static final StructType SCHEMA = new StructType()
      .add(CohortSchema.PATIENT_KEY, DataTypes.StringType)
      .add(CohortSchema.OUTCOME_LABEL, DataTypes.DoubleType)
      .add("sbp", DataTypes.DoubleType);

  /** Patients with random 64-hex keys, as an HMAC under a random lakehouse key would give. */
  private static Dataset<Row> cohort(SparkSession spark, Random random, int positives, int negatives) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < positives + negatives; i++) {
      boolean positive = i < positives;
      String key = String.format("%016x%016x%016x%016x", random.nextLong(), random.nextLong(), random.nextLong(), random.nextLong());
      rows.add(RowFactory.create(key, positive ? 1.0 : 0.0, (positive ? 140.0 : 120.0) + random.nextGaussian() * 8));
    }
    return spark.createDataFrame(rows, SCHEMA);
  }

  private static long expectedTest(long classSize) {
    return Math.max(Math.min(classSize - 1, 1), Math.round(classSize * CohortModelTrainer.TEST_SHARE));
  }

  @Test
  void everyOutcomeClassGetsItsShareOfTheTestSetAndOfEachFoldWhateverTheKeys(SparkSession spark) {
    Random random = new Random(11);
    for (int population = 0; population < 12; population++) {
      int positives = 2 + population % 6; // 2 to 7 outcomes: a hash split alone leaves the test set without any often
      int negatives = 25 + random.nextInt(20);
      Dataset<Row> rows = cohort(spark, random, positives, negatives);
      List<Row> split = CohortModelTrainer.split(rows).select(CohortSchema.PATIENT_KEY, CohortSchema.OUTCOME_LABEL,
          CohortModelTrainer.SPLIT, CohortModelTrainer.FOLD).collectAsList();

      assertThat(split).hasSize(positives + negatives);
      for (double label : new double[] {1.0, 0.0}) {
        List<Row> cls = split.stream().filter(r -> r.getDouble(1) == label).toList();
        long tested = cls.stream().filter(r -> !r.getBoolean(2)).count();
        assertThat(tested).as("population %d, class %s of %d: tested", population, label, cls.size()).isEqualTo(expectedTest(cls.size()));
        Map<Integer, Integer> perFold = new HashMap<>();
        cls.forEach(r -> perFold.merge(r.getInt(3), 1, Integer::sum));
        assertThat(perFold.keySet()).allMatch(f -> f >= 0 && f < CohortModelTrainer.FOLDS);
        // every fold, empty ones included, holds floor or ceil of the class's fifth
        List<Integer> sizes = java.util.stream.IntStream.range(0, CohortModelTrainer.FOLDS).mapToObj(f -> perFold.getOrDefault(f, 0)).toList();
        assertThat(Collections.max(sizes) - Collections.min(sizes)).as("population %d, class %s: fold sizes %s", population, label, sizes)
            .isLessThanOrEqualTo(1);
      }
      assertThat(CohortModelTrainer.split(rows).select(CohortSchema.PATIENT_KEY, CohortModelTrainer.SPLIT, CohortModelTrainer.FOLD)
          .collectAsList()).as("the same rows give the same split").isEqualTo(split.stream()
              .map(r -> RowFactory.create(r.get(0), r.get(2), r.get(3))).toList());
    }
  }

  @Test
  void aCohortWithFewOutcomesIsTestedOnSomeAndOneWithASingleOutcomeSaysWhyItsTestAurocIsUndefined(SparkSession spark) {
    Random random = new Random(5);
    TrainingRun few = CohortModelTrainer.train(cohort(spark, random, 3, 40), List.of("sbp"), List.of());
    assertThat(few.testPositives()).isEqualTo(1);
    assertThat(few.trainPositives()).isEqualTo(2);
    assertThat(few.testRows()).isEqualTo(1 + expectedTest(40));
    assertThat(few.aurocTest()).isBetween(0.0, 1.0);
    assertThat(few.aurocTestUndefinedBecause()).isEmpty();
    assertThat(few.aurocTestText()).matches("[01]\\.\\d{3}");
    assertThat(few.outOfFoldPredictions()).hasSize(43).filteredOn(Prediction::positive).hasSize(3);

    TrainingRun single = CohortModelTrainer.train(cohort(spark, random, 1, 40), List.of("sbp"), List.of());
    assertThat(single.trainPositives()).as("the only outcome is needed for training").isEqualTo(1);
    assertThat(single.testPositives()).isZero();
    assertThat(single.aurocTest()).isNaN();
    assertThat(single.aurocTestText()).isEqualTo("undefined: no patient with the outcome was held out: the cohort has 1, and training needs it");
  }
}
