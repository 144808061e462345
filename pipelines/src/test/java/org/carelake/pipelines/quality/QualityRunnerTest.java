package org.carelake.pipelines.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.testing.SparkExtension;
import org.carelake.core.testing.TestKeys;
import org.carelake.pipelines.fhir.FhirIngestJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SparkExtension.class)
class QualityRunnerTest {

  private static String patient(String id) {
    return "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"gender\":\"male\",\"birthDate\":\"1960-01-01\"}";
  }

  private static String heartRate(String id, String patient, double bpm) {
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
    List<TableSuite> suites = SilverSuites.all(spark, lakehouse).stream()
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
    assertThat(new QualityLedger(spark, new Lakehouse(dir.resolve("lh"))).verdict(ObservationSchema.TABLE, 0)).isEqualTo("PASS");
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
        heartRate("o3", "ghost", 70), heartRate("o4", "nobody", 70)), StandardCharsets.UTF_8);
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    FhirIngestJob job = new FhirIngestJob(spark, lakehouse, TestKeys.pseudonymizer(), Progress.silent());
    assertThat(job.execute(FhirIngestJob.plan(in)).quarantinedByReason()).containsOnlyKeys("DANGLING_REFERENCE");
    assertThat(job.execute(FhirIngestJob.plan(deletes)).silverRowsDeleted()).isEqualTo(1);
    QualityResult result = new QualityRunner(spark, lakehouse, Progress.silent()).run(SilverSuites.all(spark, lakehouse).stream()
        .filter(s -> s.table().equals(ObservationSchema.TABLE) || s.table().name().equals("patient")).toList());
    assertThat(result.passed()).isFalse();
    List<String> failed = result.tables().stream().flatMap(t -> t.constraints().stream()).filter(c -> !c.passed())
        .map(QualityResult.ConstraintOutcome::constraint).toList();
    assertThat(failed).anyMatch(c -> c.contains("heart rate (LOINC 8867-4)"))
        .anyMatch(c -> c.contains("systolic blood pressure (LOINC 8480-6)"))
        .anyMatch(c -> c.contains("exists in silver.patient"));
    assertThat(new QualityLedger(spark, new Lakehouse(dir.resolve("lh"))).verdict(ObservationSchema.TABLE, 0)).isEqualTo("FAIL");
  }
}
