package org.carelake.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.carelake.core.testing.SilverRows.encounter;
import static org.carelake.core.testing.SilverRows.observation;
import static org.carelake.core.testing.SilverRows.patient;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.testing.SilverRows;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SparkExtension.class)
class FeatureBuildTest {

  private static final FeatureSet SET = new FeatureSet("test_v1", List.of(
      ClinicalFeatures.lastMeasurement("last_bmi", "39156-5", "body mass index", 1095, 730),
      FeatureDefinition.of("encounters_1y", 1, "Encounters in the last year", EncounterSchema.TABLE, EncounterSchema.START_TIME,
          null, null, Aggregation.COUNT, 365)));

  @Test
  void buildsForLivingPatientsProfilesEachFeatureAndReportsDriftAgainstThePreviousBuild(SparkSession spark, @TempDir Path dir) {
    Lakehouse lakehouse = new Lakehouse(dir);
    SilverRows.Tables silver = new SilverRows.Tables();
    for (int i = 0; i < 20; i++) {
      silver.patients.add(patient("p" + i, i % 2 == 0 ? "female" : "male", "1970-01-01", "white", "nonhispanic"));
      silver.encounters.add(encounter("e" + i, "p" + i, "185349003", "2024-06-01"));
      silver.observations.add(observation("o" + i, "p" + i, "39156-5", 25 + i % 5, "kg/m2", "2024-06-01"));
    }
    silver.patients.add(patient("unborn", "female", "2030-01-01", null, null));
    silver.writeTo(spark, lakehouse);
    Instant asOf = Instant.parse("2025-01-01T00:00:00Z");

    FeatureBuild.Result first = new FeatureBuild(spark, lakehouse).build(SET, asOf);
    assertThat(first.rows()).as("patients born by the as-of time").isEqualTo(20);
    assertThat(first.previousBuildId()).isNull();
    Map<String, FeatureBuild.FeatureStats> stats = first.stats().stream()
        .collect(Collectors.toMap(FeatureBuild.FeatureStats::feature, s -> s));
    assertThat(stats.get("last_bmi").completeness()).isEqualTo(1.0);
    assertThat(stats.get("last_bmi").mean()).isCloseTo(27.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(stats.get("encounters_1y").maximum()).isEqualTo(1.0);
    assertThat(stats.get(FeatureStore.SEX_FEMALE).mean()).isEqualTo(0.5);

    // New data: half the BMI values go stale (older than the TTL) and everyone has more encounters.
    silver.observations.replaceAll(r -> Integer.parseInt(r.getString(1).substring(1)) < 10
        ? observation(r.getString(0), r.getString(1), "39156-5", 25 + Integer.parseInt(r.getString(1).substring(1)) % 5, "kg/m2",
        "2021-06-01") : r);
    for (int i = 0; i < 20; i++) {
      silver.encounters.add(encounter("e2-" + i, "p" + i, "185349003", "2024-09-01"));
    }
    silver.writeTo(spark, lakehouse);
    FeatureBuild.Result second = new FeatureBuild(spark, lakehouse).build(SET, asOf);
    assertThat(second.previousBuildId()).isEqualTo(first.buildId());
    assertThat(second.write().versionAfter()).isGreaterThan(first.write().versionAfter());
    Map<String, FeatureBuild.Drift> drift = second.drift().stream().collect(Collectors.toMap(FeatureBuild.Drift::feature, d -> d));
    assertThat(drift.get("last_bmi").completenessNow()).isEqualTo(0.5);
    assertThat(drift.get("last_bmi").drifted()).isTrue();
    assertThat(drift.get("encounters_1y").meanNow()).isEqualTo(2.0);
    assertThat(drift.get("encounters_1y").drifted()).isTrue();
    assertThat(drift.get(FeatureStore.SEX_FEMALE).drifted()).isFalse();
    List<Row> history = lakehouse.read(spark, FeatureBuild.STATS).select("build_id").distinct().collectAsList();
    assertThat(history).hasSize(2);
  }

  @Test
  void registryKeepsOneRowPerFeatureVersionAndRefusesAChangedDefinitionUnderAnOldVersion(SparkSession spark, @TempDir Path dir) {
    Lakehouse lakehouse = new Lakehouse(dir);
    FeatureRegistry registry = new FeatureRegistry(spark, lakehouse);
    long v = registry.register(List.of(SET)).versionAfter();
    assertThat(registry.list()).extracting(r -> r.getString(1)).containsExactly("encounters_1y", "last_bmi");
    assertThat(registry.register(List.of(SET)).versionAfter()).as("unchanged: no new version").isEqualTo(v);

    FeatureSet changed = new FeatureSet("test_v1", List.of(
        ClinicalFeatures.lastMeasurement("last_bmi", "39156-5", "body mass index", 1095, 365)));
    assertThatThrownBy(() -> registry.register(List.of(changed)))
        .isInstanceOf(CareLakeException.class)
        .hasMessageContaining("last_bmi version 1 is already registered with a different definition")
        .hasMessageContaining("new version");
    assertThat(lakehouse.version(spark, FeatureRegistry.TABLE)).contains(v);
  }
}
