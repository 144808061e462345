package org.carelake.pipelines.quality;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.schema.BronzeResourceSchema;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.testing.SparkExtension;
import org.carelake.core.testing.TestKeys;
import org.carelake.pipelines.fhir.FhirIngestJob;
import org.carelake.pipelines.fhir.FhirIngestResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A pipeline step checks the tables it changed before it commits; a failed fail-action check rolls the whole step back. */
@ExtendWith(SparkExtension.class)
class StepChecksTest {

  /** Implausible heart rates leave the table (quarantine); more than {@code maxRows} observations stop the step (fail). */
  private static StepChecks suite(Path dir, int maxRows) throws Exception {
    Path suites = Files.createDirectories(dir.resolve("suites"));
    Files.writeString(suites.resolve("silver.observation.yaml"), "table: silver.observation\nkey: observation_key\nchecks:\n"
        + "  - name: plausible heart rate\n    severity: major\n    action: quarantine\n    rules:\n"
        + "      - range: {column: value_quantity, min: 20, max: 250, where: \"code = '8867-4'\"}\n"
        + "  - name: at most " + maxRows + " observations\n    severity: critical\n    action: fail\n    rules:\n"
        + "      - row_count: {max: " + maxRows + "}\n");
    return StepChecks.of(suites);
  }

  private static FhirIngestResult ingest(SparkSession spark, Lakehouse lakehouse, Path input, StepChecks checks) {
    return new FhirIngestJob(spark, lakehouse, TestKeys.pseudonymizer(), Progress.silent()).checks(checks).execute(FhirIngestJob.plan(input));
  }

  @Test
  void aStepCommitsOnlyCheckedDataAndAFailedCheckLeavesEveryTableAtItsLastGoodVersion(SparkSession spark, @TempDir Path dir)
      throws Exception {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    QualityLedger ledger = new QualityLedger(spark, lakehouse);
    Path first = Files.createDirectories(dir.resolve("first"));
    Files.write(first.resolve("Patient.ndjson"), List.of(QualityRunnerTest.patient("p1")), StandardCharsets.UTF_8);
    Files.write(first.resolve("Observation.ndjson"), List.of(QualityRunnerTest.heartRate("o1", "p1", 72),
        QualityRunnerTest.heartRate("o2", "p1", 400)), StandardCharsets.UTF_8);
    StepChecks checks = suite(dir, 2);
    ingest(spark, lakehouse, first, checks);

    // The implausible reading left silver inside the step; the verdict is recorded for the version the step committed.
    long good = lakehouse.version(spark, ObservationSchema.TABLE).orElseThrow();
    assertThat(checks.results()).singleElement().satisfies(r -> assertThat(r.tables()).filteredOn(t -> t.table().equals("silver.observation"))
        .singleElement().satisfies(t -> assertThat(t.quarantined()).isEqualTo(1)));
    assertThat(lakehouse.read(spark, ObservationSchema.TABLE).count()).isEqualTo(1);
    assertThat(lakehouse.read(spark, QualityQuarantine.TABLE).count()).isEqualTo(1);
    assertThat(ledger.verdict(ObservationSchema.TABLE, good)).isEqualTo("PASS");
    long bronze = lakehouse.read(spark, BronzeResourceSchema.TABLE).count();

    // Two more plausible and one implausible reading: after the quarantine, 3 rows break the fail-action rule.
    Path second = Files.createDirectories(dir.resolve("second"));
    Files.write(second.resolve("Observation.ndjson"), List.of(QualityRunnerTest.heartRate("o3", "p1", 70),
        QualityRunnerTest.heartRate("o4", "p1", 71), QualityRunnerTest.heartRate("o5", "p1", 0)), StandardCharsets.UTF_8);
    CareLakeException failure = catchThrowableOfType(() -> ingest(spark, lakehouse, second, checks), CareLakeException.class);
    assertThat(failure.kind()).isEqualTo(CareLakeException.Kind.GATE_FAILED);
    assertThat(failure.getMessage()).contains("ingest fhir stopped by its quality checks").contains("silver.observation")
        .contains("[critical] at most 2 observations").contains("Nothing this step wrote was committed").doesNotContain("ingest fhir) first");

    // Silver, bronze and the quality quarantine are as before the failed step; its FAIL stays on record.
    assertThat(lakehouse.read(spark, ObservationSchema.TABLE).count()).isEqualTo(1);
    assertThat(lakehouse.read(spark, BronzeResourceSchema.TABLE).count()).isEqualTo(bronze);
    assertThat(lakehouse.read(spark, QualityQuarantine.TABLE).count()).isEqualTo(1);
    assertThat(lakehouse.read(spark, QualityRunner.RESULTS).where(col("table_verdict").equalTo("FAIL")).count()).isPositive();
    // The rollback's version restores the last good one, and with it its verdict: downstream steps carry on with it.
    long restored = lakehouse.version(spark, ObservationSchema.TABLE).orElseThrow();
    assertThat(restored).isGreaterThan(good);
    assertThat(ledger.verdict(ObservationSchema.TABLE, restored)).isEqualTo("PASS");

    // The same files are read again once the rule allows them (nothing was recorded as ingested).
    FhirIngestResult retried = ingest(spark, lakehouse, second, suite(dir, 10));
    assertThat(retried.skippedFiles()).isZero();
    assertThat(lakehouse.read(spark, ObservationSchema.TABLE).count()).isEqualTo(3);
    assertThat(ledger.verdict(ObservationSchema.TABLE, lakehouse.version(spark, ObservationSchema.TABLE).orElseThrow())).isEqualTo("PASS");
  }

  @Test
  void aStepThatWritesSilverThenGoldChecksEachOnceBeforeItCommits(SparkSession spark, @TempDir Path dir) throws Exception {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    Path ehr = Files.createDirectories(dir.resolve("ehr"));
    Files.write(ehr.resolve("Patient.ndjson"), List.of(QualityRunnerTest.patient("p1")), StandardCharsets.UTF_8);
    ingest(spark, lakehouse, ehr, StepChecks.none());
    Path exports = Files.createDirectories(dir.resolve("exports"));
    Files.writeString(exports.resolve("vendor.csv"), "device_id,timestamp,metric,value,unit\n"
        + "w1,2024-03-01T08:00:00Z,heart_rate,70,bpm\nw1,2024-03-01T08:01:00Z,steps,40,steps\n");
    Path devices = Files.writeString(dir.resolve("devices.csv"), "device_id,patient_id,time_zone\nw1,p1,UTC\n");
    StepChecks checks = StepChecks.of(null);
    new org.carelake.pipelines.wearable.WearableIngestJob(spark, lakehouse, TestKeys.pseudonymizer(), Progress.silent()).checks(checks)
        .execute(org.carelake.pipelines.wearable.WearableIngestJob.plan(exports), devices, null, false);

    // silver first (before gold is built from it), then gold; each once, at the version the step committed
    assertThat(checks.results()).hasSize(2);
    assertThat(checks.results().get(0).tables()).extracting(QualityResult.TableVerdict::table).containsExactly("silver.wearable_measurement");
    assertThat(checks.results().get(1).tables()).extracting(QualityResult.TableVerdict::table).containsExactly("gold.wearable_daily");
    QualityLedger ledger = new QualityLedger(spark, lakehouse);
    for (org.carelake.core.TableId t : List.of(org.carelake.core.schema.WearableMeasurementSchema.TABLE,
        org.carelake.core.schema.WearableDailySchema.TABLE)) {
      assertThat(ledger.verdict(t, lakehouse.version(spark, t).orElseThrow())).as(t.qualifiedName()).isIn("PASS", "WARN");
    }
  }
}
