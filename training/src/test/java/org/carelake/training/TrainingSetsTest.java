package org.carelake.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.carelake.core.testing.SilverRows.claim;
import static org.carelake.core.testing.SilverRows.condition;
import static org.carelake.core.testing.SilverRows.encounter;
import static org.carelake.core.testing.SilverRows.observation;
import static org.carelake.core.testing.SilverRows.patient;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.SensitiveGroups;
import org.carelake.core.TableId;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.testing.SilverRows;
import org.carelake.core.testing.SparkExtension;
import org.carelake.features.Aggregation;
import org.carelake.features.ClinicalFeatures;
import org.carelake.features.FeatureDefinition;
import org.carelake.features.FeatureSet;
import org.carelake.training.cohort.CohortDefinition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SparkExtension.class)
class TrainingSetsTest {

  static final String COHORT = org.carelake.training.cohort.CohortDefinitionTest.VALID;


  private static final FeatureSet SET = new FeatureSet("test_v1", List.of(
      ClinicalFeatures.lastMeasurement("last_bmi", "39156-5", "body mass index", 1095, 1095),
      FeatureDefinition.of("encounters_1y", 1, "Encounters in the last year", EncounterSchema.TABLE, EncounterSchema.START_TIME,
          null, null, Aggregation.COUNT, 365)));

  private static final PinnedInputs.QualityVerdicts ALL_PASS = (t, v) -> "PASS";

  @Test
  void recordsATrainingSetAndRebuildsItIdenticallyAfterNewDataArrives(SparkSession spark, @TempDir Path dir) {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    SilverRows.Tables silver = new SilverRows.Tables();
    for (int i = 0; i < 12; i++) {
      String p = "p" + i;
      silver.patients.add(patient(p, i % 2 == 0 ? "female" : "male", "1960-01-01", "white", "nonhispanic"));
      silver.conditions.add(condition("pre" + i, p, "15777000", "2016-03-01"));
      silver.observations.add(observation("bmi" + i, p, "39156-5", 24 + i, "kg/m2", "2015-09-01"));
      // A later BMI, after the index date: a point-in-time join must never use it.
      silver.observations.add(observation("bmi-late" + i, p, "39156-5", 99, "kg/m2", "2016-06-01"));
      silver.encounters.add(encounter("enc" + i, p, "185349003", "2015-12-01"));
      if (i < 4) {
        silver.conditions.add(condition("t2d" + i, p, "44054006", "2017-03-01"));
      }
    }
    // Payer type at the index date (2016-03-01): p0's later private claim is not known then.
    silver.claims.addAll(List.of(claim("cl0", "p0", "Medicaid", "2015-01-01"), claim("cl1", "p0", "Acme Health", "2016-06-01"),
        claim("cl2", "p2", "Medicare", "2016-03-01")));
    silver.writeTo(spark, lakehouse);
    TrainingSets sets = new TrainingSets(spark, lakehouse, SensitiveGroups.DEFAULT, name -> SET);
    CohortDefinition cohort = CohortDefinition.parse(COHORT, "t.yaml");

    TrainingSets.Built first = sets.create(cohort, SET, PinnedInputs.current(spark, lakehouse, PinnedInputs.EHR, ALL_PASS));
    TrainingSets.Record record = first.record();
    assertThat(first.newlyRecorded()).isTrue();
    assertThat(record.rowCount()).isEqualTo(12);
    assertThat(record.cohortDefinitionHash()).isEqualTo(cohort.sourceHash());
    assertThat(record.featureHashes()).containsOnlyKeys("last_bmi@1", "encounters_1y@1");
    assertThat(record.inputVersions()).containsOnlyKeys("silver.patient", "silver.encounter", "silver.condition",
        "silver.observation", "silver.medication_request", "silver.claim");
    assertThat(record.groups()).isEqualTo(SensitiveGroups.DEFAULT);
    List<Row> rows = lakehouse.read(spark, TableId.parse(record.tableName())).orderBy("patient_key").collectAsList();
    assertThat(rows).extracting(r -> (Double) r.getAs("last_bmi")).as("only values known at the index date")
        .containsExactly(24.0, 25.0, 34.0, 35.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0);
    assertThat(rows).extracting(r -> (Double) r.getAs("outcome_label")).filteredOn(l -> l == 1.0).hasSize(4);
    assertThat(rows).extracting(r -> (String) r.getAs(SensitiveGroups.PAYER_TYPE)).as("payer type at each index date")
        .containsExactly("Medicaid", "unknown", "unknown", "unknown", "Medicare", "unknown", "unknown", "unknown", "unknown", "unknown",
            "unknown", "unknown");
    assertThat(rows).extracting(r -> (String) r.getAs(SensitiveGroups.AGE_BAND)).containsOnly("40-64");

    // The same inputs again: the same record, no second one.
    TrainingSets.Built again = sets.create(cohort, SET, PinnedInputs.current(spark, lakehouse, PinnedInputs.EHR, ALL_PASS));
    assertThat(again.newlyRecorded()).isFalse();
    assertThat(again.record().id()).isEqualTo(record.id());
    assertThat(sets.list()).hasSize(1);

    // New data arrives (a second encounter and new patients); the recorded set still rebuilds identically.
    for (int i = 0; i < 12; i++) {
      silver.encounters.add(encounter("enc2-" + i, "p" + i, "185349003", "2016-01-15"));
    }
    silver.patients.add(patient("new", "1970-01-01"));
    silver.conditions.add(condition("pre-new", "new", "15777000", "2016-03-01"));
    silver.writeTo(spark, lakehouse);
    TrainingSets.Built newer = sets.create(cohort, SET, PinnedInputs.current(spark, lakehouse, PinnedInputs.EHR, ALL_PASS));
    assertThat(newer.record().id()).isNotEqualTo(record.id());
    assertThat(newer.record().contentHash()).isNotEqualTo(record.contentHash());
    assertThat(newer.record().rowCount()).isEqualTo(13);

    TrainingSets.Rebuilt rebuilt = sets.rebuild(record.id(), dir.resolve("rebuilt"));
    assertThat(rebuilt.identical()).isTrue();
    assertThat(rebuilt.contentHash()).isEqualTo(record.contentHash());
    assertThat(spark.read().parquet(dir.resolve("rebuilt").toString()).count()).isEqualTo(12);

    // A feature definition changed since: the rebuild refuses rather than producing something else.
    FeatureSet changed = new FeatureSet("test_v1", List.of(
        ClinicalFeatures.lastMeasurement("last_bmi", "39156-5", "body mass index", 1095, 365), SET.features().get(1)));
    assertThatThrownBy(() -> new TrainingSets(spark, lakehouse, SensitiveGroups.DEFAULT, name -> changed).rebuild(record.id(), null))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("[last_bmi@1]");
    assertThatThrownBy(() -> sets.rebuild("ts-unknown", null)).isInstanceOf(CareLakeException.class)
        .hasMessageContaining("No training set ts-unknown");

    // A training set recorded before payer type was a sensitive attribute (its record names no groups) rebuilds as it was built.
    TrainingSets.Built legacy = new TrainingSets(spark, lakehouse, SensitiveGroups.BEFORE_PAYER_TYPE, name -> SET)
        .create(cohort, SET, PinnedInputs.current(spark, lakehouse, PinnedInputs.EHR, ALL_PASS));
    assertThat(legacy.record().id()).as("the groups are part of what a training set is").isNotEqualTo(newer.record().id());
    assertThat(legacy.rows().columns()).doesNotContain(SensitiveGroups.PAYER_TYPE);
    spark.sql("UPDATE delta.`" + lakehouse.tablePath(TrainingSets.RECORDS) + "` SET sensitive_groups = NULL WHERE id = '"
        + legacy.record().id() + "'");
    assertThat(sets.find(legacy.record().id()).groups()).isEqualTo(SensitiveGroups.BEFORE_PAYER_TYPE);
    assertThat(sets.rebuild(legacy.record().id(), null).identical()).isTrue();
  }

  @Test
  void inputsWithoutAPassingVerdictAreRefused(SparkSession spark, @TempDir Path dir) {
    Lakehouse lakehouse = new Lakehouse(dir);
    SilverRows.Tables silver = new SilverRows.Tables();
    silver.patients.add(patient("p", "1960-01-01"));
    silver.writeTo(spark, lakehouse);
    assertThatThrownBy(() -> PinnedInputs.current(spark, lakehouse, PinnedInputs.EHR,
        (t, v) -> t.name().equals("observation") ? "FAIL" : "PASS"))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("silver.observation at Delta version 0 failed its quality checks");
    assertThatThrownBy(() -> PinnedInputs.current(spark, lakehouse, PinnedInputs.EHR, (t, v) -> null))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("has no quality verdict");
    assertThat(PinnedInputs.current(spark, lakehouse, PinnedInputs.EHR, ALL_PASS).versions()).containsEntry("silver.patient", 0L);
  }
}
