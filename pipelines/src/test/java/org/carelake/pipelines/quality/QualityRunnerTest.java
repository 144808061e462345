package org.carelake.pipelines.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.schema.ClaimSchema;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.testing.SparkExtension;
import org.carelake.core.testing.TestKeys;
import org.carelake.pipelines.fhir.FhirIngestJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SparkExtension.class)
class QualityRunnerTest {

  static String patient(String id) {
    return "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"gender\":\"male\",\"birthDate\":\"1960-01-01\"}";
  }

  static String heartRate(String id, String patient, double bpm) {
    return "{\"resourceType\":\"Observation\",\"id\":\"" + id + "\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
        + "\"http://loinc.org\",\"code\":\"8867-4\"}]},\"subject\":{\"reference\":\"Patient/" + patient + "\"},"
        + "\"effectiveDateTime\":\"2020-01-01T00:00:00Z\",\"valueQuantity\":{\"value\":" + bpm + ",\"unit\":\"/min\",\"code\":\"/min\"}}";
  }

  private static String bloodPressure(String id, String patient, double systolic) {
    return "{\"resourceType\":\"Observation\",\"id\":\"" + id + "\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
        + "\"http://loinc.org\",\"code\":\"85354-9\"}]},\"subject\":{\"reference\":\"Patient/" + patient + "\"},"
        + "\"effectiveDateTime\":\"2020-01-01T00:00:00Z\",\"component\":[{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\","
        + "\"code\":\"8480-6\"}]},\"valueQuantity\":{\"value\":" + systolic + ",\"code\":\"mm[Hg]\"}}]}";
  }

  private QualityResult ingestAndCheck(SparkSession spark, Path dir, List<String> patients, List<String> observations) throws Exception {
    Path in = Files.createDirectories(dir.resolve("in"));
    Files.write(in.resolve("Patient.ndjson"), patients, StandardCharsets.UTF_8);
    Files.write(in.resolve("Observation.ndjson"), observations, StandardCharsets.UTF_8);
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    new FhirIngestJob(spark, lakehouse, TestKeys.pseudonymizer(), Progress.silent()).execute(FhirIngestJob.plan(in));
    List<TableSuite> suites = DeclarativeSuites.build(spark, lakehouse, DeclarativeSuites.load(null)).stream()
        .filter(s -> s.table().equals(ObservationSchema.TABLE) || s.table().name().equals("patient")).toList();
    return new QualityRunner(spark, lakehouse, Progress.silent()).run(suites);
  }

  @Test
  void plausibleDataPassesAndIsRecordedWithItsDeltaVersion(SparkSession spark, @TempDir Path dir) throws Exception {
    QualityResult result = ingestAndCheck(spark, dir, List.of(patient("p1")),
        List.of(heartRate("o1", "p1", 72), bloodPressure("o2", "p1", 120)));
    assertThat(result.passed()).isTrue();
    assertThat(result.tables()).extracting(t -> t.table() + "=" + t.rows())
        .containsExactlyInAnyOrder("silver.patient=1", "silver.observation=2");
    // The only finding: the test data is from 2020, older than the freshness rule's 1,095 days (a warning).
    assertThat(new QualityLedger(spark, new Lakehouse(dir.resolve("lh"))).verdict(ObservationSchema.TABLE, 0)).isEqualTo("WARN");
    assertThat(result.tables().stream().flatMap(t -> t.constraints().stream()).filter(c -> !c.passed()))
        .extracting(QualityResult.ConstraintOutcome::constraint).singleElement().asString().contains("_epoch_effective_time");
    assertThat(new QualityLedger(spark, new Lakehouse(dir.resolve("lh"))).verdict(org.carelake.core.schema.PatientSchema.TABLE, 0))
        .isEqualTo("PASS");
    assertThat(Files.readString(Path.of(result.htmlReport()))).contains("silver.observation").contains("<svg");
    assertThat(Files.readString(Path.of(result.jsonReport()))).contains("\"verdict\" : \"PASS\"");
  }

  @Test
  void implausibleVitalsAndDanglingPatientReferencesFailTheGate(SparkSession spark, @TempDir Path dir) throws Exception {
    // The ingest quarantines a resource whose patient is nowhere; a patient deleted later (a tombstone)
    // still orphans its observations, which the referential-integrity check catches.
    Path deletes = Files.createDirectories(dir.resolve("deletes"));
    Files.writeString(deletes.resolve("Patient.deleted.ndjson"), "{\"resourceType\":\"Bundle\",\"type\":\"transaction\","
        + "\"entry\":[{\"request\":{\"method\":\"DELETE\",\"url\":\"Patient/ghost\"}}]}\n");
    Path in = Files.createDirectories(dir.resolve("in"));
    Files.write(in.resolve("Patient.ndjson"), List.of(patient("p1"), patient("ghost")), StandardCharsets.UTF_8);
    Files.write(in.resolve("Observation.ndjson"), List.of(heartRate("o1", "p1", 400), bloodPressure("o2", "p1", 900),
        heartRate("o3", "ghost", 70), heartRate("o4", "nobody", 70),
        heartRate("o5", "p1", 70).replace("http://loinc.org", "http://example.org/local-codes")), StandardCharsets.UTF_8);
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    FhirIngestJob job = new FhirIngestJob(spark, lakehouse, TestKeys.pseudonymizer(), Progress.silent());
    assertThat(job.execute(FhirIngestJob.plan(in)).quarantinedByReason()).containsOnlyKeys("DANGLING_REFERENCE");
    assertThat(job.execute(FhirIngestJob.plan(deletes)).silverRowsDeleted()).isEqualTo(1);
    QualityResult result = new QualityRunner(spark, lakehouse, Progress.silent()).run(DeclarativeSuites.build(spark, lakehouse, DeclarativeSuites.load(null)).stream()
        .filter(s -> s.table().equals(ObservationSchema.TABLE) || s.table().name().equals("patient")).toList());
    assertThat(result.passed()).isFalse();
    List<String> failed = result.tables().stream().flatMap(t -> t.constraints().stream()).filter(c -> !c.passed())
        .map(QualityResult.ConstraintOutcome::constraint).toList();
    assertThat(failed).anyMatch(c -> c.contains("heart rate (LOINC 8867-4)"))
        .anyMatch(c -> c.contains("systolic blood pressure (LOINC 8480-6)"))
        .anyMatch(c -> c.contains("exists in silver.patient"))
        .anyMatch(c -> c.contains("code_system contained in http://loinc.org"));
    assertThat(new QualityLedger(spark, new Lakehouse(dir.resolve("lh"))).verdict(ObservationSchema.TABLE, 0)).isEqualTo("FAIL");
  }

  private static String observationAt(String id, String patient, String time) {
    return heartRate(id, patient, 70).replace("2020-01-01T00:00:00Z", time);
  }

  @Test
  void eventsBeforeBirthAreReportedByAWarningCheckThatDoesNotStopTheGate(SparkSession spark, @TempDir Path dir) throws Exception {
    QualityResult result = ingestAndCheck(spark, dir, List.of(patient("p1")),
        List.of(observationAt("o1", "p1", "1950-06-01T00:00:00Z"), observationAt("o2", "p1", "2020-06-01T00:00:00Z")));
    assertThat(result.passed()).isTrue();
    List<QualityResult.ConstraintOutcome> failed = result.tables().stream().flatMap(t -> t.constraints().stream()).filter(c -> !c.passed())
        .toList();
    assertThat(failed).extracting(QualityResult.ConstraintOutcome::constraint).anyMatch(c -> c.contains("effective_time not before birth"));
    assertThat(failed).allMatch(c -> c.severity() == Severity.WARNING);
    assertThat(failed).extracting(QualityResult.ConstraintOutcome::check).anyMatch(c -> c.startsWith("[major] temporal sanity"));
  }

  @Test
  void theClaimSuiteWarnsOfAMissingPayerAndFailsTheGateOnAClaimWhosePatientIsGone(SparkSession spark, @TempDir Path dir)
      throws Exception {
    String claim = "{\"resourceType\":\"Claim\",\"id\":\"%s\",\"status\":\"active\",\"use\":\"claim\","
        + "\"patient\":{\"reference\":\"Patient/%s\"},\"created\":\"2020-01-01T00:00:00Z\"%s}";
    String insured = ",\"insurance\":[{\"sequence\":1,\"focal\":true,\"coverage\":{\"display\":\"Medicaid\"}}]";
    Path in = Files.createDirectories(dir.resolve("in"));
    Files.write(in.resolve("Patient.ndjson"), List.of(patient("p1"), patient("ghost")), StandardCharsets.UTF_8);
    Files.write(in.resolve("Claim.ndjson"), List.of(String.format(claim, "c1", "p1", insured), String.format(claim, "c2", "p1", ""),
        String.format(claim, "c3", "ghost", insured)), StandardCharsets.UTF_8);
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    FhirIngestJob job = new FhirIngestJob(spark, lakehouse, TestKeys.pseudonymizer(), Progress.silent());
    job.execute(FhirIngestJob.plan(in));
    assertThat(claimSuite(spark, lakehouse)).as("a built-in suite for silver.claim").hasSize(1);

    QualityResult before = new QualityRunner(spark, lakehouse, Progress.silent()).run(claimSuite(spark, lakehouse));
    assertThat(before.passed()).as("a claim without a payer only warns").isTrue();
    assertThat(before.tables().get(0).constraints()).filteredOn(c -> !c.passed()).singleElement()
        .satisfies(c -> assertThat(c.check()).isEqualTo("[major] payer named"));

    Path deletes = Files.createDirectories(dir.resolve("deletes"));
    Files.writeString(deletes.resolve("Patient.deleted.ndjson"), "{\"resourceType\":\"Bundle\",\"type\":\"transaction\","
        + "\"entry\":[{\"request\":{\"method\":\"DELETE\",\"url\":\"Patient/ghost\"}}]}\n");
    job.execute(FhirIngestJob.plan(deletes));
    QualityResult after = new QualityRunner(spark, lakehouse, Progress.silent()).run(claimSuite(spark, lakehouse));
    assertThat(after.passed()).as("claim c3's patient was deleted").isFalse();
    assertThat(after.tables().get(0).constraints()).filteredOn(c -> !c.passed())
        .anyMatch(c -> c.severity() == Severity.ERROR && c.constraint().contains("exists in silver.patient"));
  }

  private static List<TableSuite> claimSuite(SparkSession spark, Lakehouse lakehouse) {
    return DeclarativeSuites.build(spark, lakehouse, DeclarativeSuites.load(null)).stream()
        .filter(s -> s.table().equals(ClaimSchema.TABLE)).toList();
  }

  /** Spark jobs started while {@code work} runs. */
  private static int jobs(SparkSession spark, Runnable work) {
    return org.carelake.core.spark.SparkJobs.count(spark, work);
  }

  private static SuiteFile suite(String yaml) {
    return SuiteFile.read(new java.io.StringReader(yaml), "test.yaml", DeclarativeSuites.SCHEMAS);
  }

  @Test
  void allScanShareableMetricsOfATableAreComputedInOnePass(SparkSession spark, @TempDir Path dir) throws Exception {
    ingestAndCheck(spark, dir, List.of(patient("p1"), patient("p2")),
        List.of(heartRate("o1", "p1", 72), heartRate("o2", "p2", 80), bloodPressure("o3", "p1", 120)));
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    String head = "table: silver.observation\nchecks:\n  - name: c\n    severity: major\n    action: fail\n    rules:\n";
    // Both read silver.patient once (the reference and life-date join); only the number of rules differs.
    SuiteFile one = suite(head + "      - patient_exists: patient_key\n");
    SuiteFile many = suite(head + "      - complete: code\n      - complete: patient_key\n      - row_count: {min: 1}\n"
        + "      - range: {column: value_quantity, min: 0, max: 1000}\n      - physiological_ranges: builtin\n"
        + "      - expected_units: builtin\n      - not_before_birth: effective_time\n      - not_after_death: effective_time\n"
        + "      - not_in_future: effective_time\n      - patient_exists: patient_key\n"
        + "      - freshness: {column: effective_time, max_age_days: 100000}\n");
    QualityRunner runner = new QualityRunner(spark, lakehouse, Progress.silent());
    runner.verify(DeclarativeSuites.build(spark, lakehouse, List.of(one)).get(0)); // warm: Delta snapshots of both tables loaded
    int jobsOne = jobs(spark, () -> runner.verify(DeclarativeSuites.build(spark, lakehouse, List.of(one)).get(0)));
    int jobsMany = jobs(spark, () -> runner.verify(DeclarativeSuites.build(spark, lakehouse, List.of(many)).get(0)));
    assertThat(many.checks().get(0).rules()).hasSize(11);
    // 11 rules (about 40 Deequ constraints with the built-in ranges) cost the jobs one rule costs: one scan.
    assertThat(jobsMany).isEqualTo(jobsOne);
  }

  @Test
  void aBadSuiteFileIsAnErrorNamingFileLineAndFixBeforeAnySparkJob(SparkSession spark, @TempDir Path dir) throws Exception {
    String head = "table: silver.observation\nchecks:\n  - name: c\n    severity: major\n    action: fail\n    rules:\n";
    Map<String, String> cases = Map.of(
        head + "      - complete: no_such_column\n", "line 7: column 'no_such_column' is not in silver.observation",
        head + "      - is_lovely: code\n", "line 7: unknown check 'is_lovely'",
        head + "      - range: {column: value_quantity, min: 10, max: 1}\n", "line 7: range has min 10.0 above max 1.0",
        head + "      - range: {column: value_quantity, min: low}\n", "line 7: range min 'low' is not a number",
        head.replace("major", "dire") + "      - complete: code\n", "line 4: severity 'dire' is unknown",
        "table: silver.nothing\nchecks: []\n", "line 1: names table 'silver.nothing'");
    Path folder = Files.createDirectories(dir.resolve("suites"));
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Path file = folder.resolve("silver.observation.yaml");
      Files.writeString(file, c.getKey());
      int jobs = jobs(spark, () -> assertThatThrownBy(() -> DeclarativeSuites.load(folder)).isInstanceOf(CareLakeException.class)
          .hasMessageContaining(file.toString()).hasMessageContaining(c.getValue()).hasMessageContaining("Fix:"));
      assertThat(jobs).as(c.getValue()).isZero();
    }
  }

  @Test
  void metricsOfEveryRunAreKeptAndARowCountDropIsAnAnomalyWithItsAction(SparkSession spark, @TempDir Path dir) throws Exception {
    ingestAndCheck(spark, dir, List.of(patient("p1")), List.of(heartRate("o1", "p1", 70), heartRate("o2", "p1", 72),
        heartRate("o3", "p1", 74), heartRate("o4", "p1", 76)));
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    SuiteFile watched = suite("table: silver.observation\nchecks:\n  - name: c\n    severity: minor\n    action: warn\n    rules:\n"
        + "      - complete: code\nanomalies:\n  - name: rows do not halve\n    severity: critical\n    action: fail\n"
        + "    metric: row_count\n    strategy: relative_rate_of_change\n    max_decrease: 0.5\n");
    QualityRunner runner = new QualityRunner(spark, lakehouse, Progress.silent());
    assertThat(runner.run(DeclarativeSuites.build(spark, lakehouse, List.of(watched))).passed()).isTrue();
    assertThat(runner.run(DeclarativeSuites.build(spark, lakehouse, List.of(watched))).passed()).as("same data, no anomaly").isTrue();
    String kept = lakehouse.read(spark, ObservationSchema.TABLE).agg(org.apache.spark.sql.functions.min("observation_key")).head().getString(0);
    io.delta.tables.DeltaTable.forPath(spark, lakehouse.tablePath(ObservationSchema.TABLE).toString()).delete("observation_key <> '" + kept + "'");
    QualityResult dropped = runner.run(DeclarativeSuites.build(spark, lakehouse, List.of(watched)));
    assertThat(dropped.passed()).isFalse();
    assertThat(dropped.tables().get(0).constraints()).filteredOn(c -> !c.passed()).singleElement()
        .satisfies(c -> assertThat(c.check()).isEqualTo("[critical] rows do not halve"));
    // Every run's metrics, keyed by table, Delta version and run id, are in Deequ's repository in the lakehouse.
    String history = Files.readString(runner.metricsRepository());
    assertThat(history).containsPattern("\"delta_version\"\\s*:\\s*\"1\"").containsPattern("\"table\"\\s*:\\s*\"silver.observation\"")
        .contains("run_id");

    assertThat(QualityReport.collect(spark, lakehouse, runner.metricsRepository(), Map.of()).overall()).isEqualTo("FAIL");
    // The report charts that history: one row-count point per run, oldest first, at the version each run checked.
    io.delta.tables.DeltaTable.forPath(spark, lakehouse.tablePath(ObservationSchema.TABLE).toString()).delete();
    QualityReport.Content report = QualityReport.collect(spark, lakehouse, runner.metricsRepository(),
        Map.of("silver.observation", watched.anomalies()));
    QualityReport.TableStatus observations = report.tables().stream().filter(t -> t.table().equals("silver.observation")).findFirst()
        .orElseThrow();
    assertThat(observations.metrics().get(0).metric()).isEqualTo("row count");
    assertThat(observations.metrics().get(0).points()).extracting(p -> p.deltaVersion() + ":" + p.value())
        .containsExactly("0:4.0", "0:4.0", "0:4.0", "1:1.0");
    assertThat(observations.history()).extracting(QualityReport.RunVerdict::verdict).endsWith("FAIL");
    assertThat(observations.rows()).isEqualTo(1);
    assertThat(observations.verdict()).isEqualTo("FAIL");
    assertThat(observations.stale()).as("a write after the check: the current version is not checked").isTrue();
    assertThat(report.overall()).isEqualTo("NOT CHECKED");
    String html = QualityReport.html(report);
    assertThat(html.indexOf("Verdicts")).isLessThan(html.indexOf("Metric history"));
    assertThat(html).contains("(not checked)").contains("[critical] rows do not halve").containsPattern("<path d=\"M\\d+,\\d+ L");
  }

  @Test
  void quarantineActionMovesFailingRowsWithTheRulesTheyFailedAndCountsReconcile(SparkSession spark, @TempDir Path dir) throws Exception {
    ingestAndCheck(spark, dir, List.of(patient("p1")), List.of(heartRate("o1", "p1", 72), heartRate("o2", "p1", 400),
        heartRate("o3", "nobody-known", 70).replace("nobody-known", "p1"), observationAt("o4", "p1", "2999-01-01T00:00:00Z")));
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    long before = lakehouse.read(spark, ObservationSchema.TABLE).count();
    SuiteFile suite = suite("table: silver.observation\nkey: observation_key\nchecks:\n  - name: plausible\n    severity: major\n"
        + "    action: quarantine\n    rules:\n      - range: {column: value_quantity, min: 20, max: 250, where: \"code = '8867-4'\"}\n"
        + "      - not_in_future: effective_time\n");
    QualityResult result = new QualityRunner(spark, lakehouse, Progress.silent()).run(DeclarativeSuites.build(spark, lakehouse, List.of(suite)));
    QualityResult.TableVerdict verdict = result.tables().get(0);
    assertThat(verdict.quarantined()).isEqualTo(2);
    assertThat(verdict.verdict()).isEqualTo("PASS");
    assertThat(verdict.rows() + verdict.quarantined()).isEqualTo(before);
    List<org.apache.spark.sql.Row> moved = lakehouse.read(spark, QualityQuarantine.TABLE).orderBy("row_json").collectAsList();
    assertThat(moved).hasSize(2);
    assertThat(moved).extracting(r -> r.getList(r.fieldIndex("failed_rules")).toString())
        .anyMatch(f -> f.contains("value_quantity within [20, 250] where code = '8867-4'"))
        .anyMatch(f -> f.contains("effective_time not in the future"));
    assertThat(lakehouse.read(spark, ObservationSchema.TABLE).count()).isEqualTo(before - 2);
    // a quarantine check can only hold row-level rules
    assertThatThrownBy(() -> suite("table: silver.observation\nkey: observation_key\nchecks:\n  - name: q\n    severity: major\n"
        + "    action: quarantine\n    rules:\n      - unique: observation_key\n")).isInstanceOf(CareLakeException.class)
        .hasMessageContaining("line 8").hasMessageContaining("cannot be quarantined");
  }
}
