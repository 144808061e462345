package org.carelake.pipelines.fhir;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.schema.BronzeResourceSchema;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.schema.PatientSchema;
import org.carelake.core.schema.QuarantineSchema;
import org.carelake.core.testing.SparkExtension;
import org.carelake.core.testing.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Versions, deletions and references to nothing, on small hand-written FHIR R4 inputs. */
@ExtendWith(SparkExtension.class)
class FhirIncrementalTest {

  private static String patient(String id, String version, String lastUpdated, String gender) {
    return "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"meta\":{\"versionId\":\"" + version + "\",\"lastUpdated\":\""
        + lastUpdated + "\"},\"gender\":\"" + gender + "\",\"birthDate\":\"1970-01-01\"}";
  }

  private static String condition(String id, String patient) {
    return "{\"resourceType\":\"Condition\",\"id\":\"" + id + "\",\"subject\":{\"reference\":\"Patient/" + patient + "\"},"
        + "\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"59621000\"}]},\"onsetDateTime\":\"2020-01-01T00:00:00Z\"}";
  }

  private static String observation(String id, String patient) {
    return "{\"resourceType\":\"Observation\",\"id\":\"" + id + "\",\"status\":\"final\",\"subject\":{\"reference\":\"Patient/" + patient
        + "\"},\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"39156-5\"}]},\"effectiveDateTime\":\"2020-01-01T00:00:00Z\","
        + "\"valueQuantity\":{\"value\":27.5,\"unit\":\"kg/m2\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"kg/m2\"}}";
  }

  private static String deleteBundle(String... urls) {
    StringBuilder entries = new StringBuilder();
    for (String url : urls) {
      entries.append(entries.length() == 0 ? "" : ",").append("{\"request\":{\"method\":\"DELETE\",\"url\":\"").append(url).append("\"}}");
    }
    return "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[" + entries + "]}";
  }

  private static FhirIngestResult ingest(SparkSession spark, Lakehouse lakehouse, Path dir, String name, List<String> lines)
      throws IOException {
    Path in = Files.createDirectories(dir.resolve("in-" + name));
    Files.write(in.resolve(name), lines);
    FhirIngestResult result = new FhirIngestJob(spark, lakehouse, TestKeys.pseudonymizer(), Progress.silent()).execute(FhirIngestJob.plan(in));
    assertThat(result.reconciles()).as("read = upserted + unchanged + deleted + quarantined").isTrue();
    return result;
  }

  private static String gender(SparkSession spark, Lakehouse lakehouse, String id) {
    String key = TestKeys.pseudonymizer().patientKey(id);
    return lakehouse.read(spark, PatientSchema.TABLE).filter(col(PatientSchema.PATIENT_KEY).equalTo(key)).head().getAs(PatientSchema.GENDER);
  }

  @Test
  void higherVersionIdWinsNumericallyAndALateOlderVersionDoesNotOverwrite(SparkSession spark, @TempDir Path dir) throws IOException {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    ingest(spark, lakehouse, dir, "v9.ndjson", List.of(patient("p1", "9", "2024-06-01T00:00:00Z", "female")));
    // Version 10 carries an earlier lastUpdated (a clock skew between servers): the version number decides, as a number.
    ingest(spark, lakehouse, dir, "v10.ndjson", List.of(patient("p1", "10", "2024-05-01T00:00:00Z", "male")));
    assertThat(gender(spark, lakehouse, "p1")).isEqualTo("male");
    FhirIngestResult late = ingest(spark, lakehouse, dir, "v9-late.ndjson", List.of(patient("p1", "9", "2024-06-02T00:00:00Z", "other")));
    assertThat(late.upserted()).as("kept in bronze as received").isEqualTo(1);
    assertThat(gender(spark, lakehouse, "p1")).as("an older version arriving late does not overwrite").isEqualTo("male");
    assertThat(lakehouse.read(spark, BronzeResourceSchema.TABLE).count()).isEqualTo(3);
  }

  @Test
  void versionsAndCopiesOfOneResourceInOneInputLeaveOneSilverRow(SparkSession spark, @TempDir Path dir) throws IOException {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    // one export holding version 9 twice (identical) and version 10 of p1, and p2 once
    FhirIngestResult r = ingest(spark, lakehouse, dir, "Patient.ndjson", List.of(
        patient("p1", "9", "2024-06-01T00:00:00Z", "female"), patient("p1", "10", "2024-05-01T00:00:00Z", "male"),
        patient("p1", "9", "2024-06-01T00:00:00Z", "female"), patient("p2", "1", "2024-06-01T00:00:00Z", "other")));
    assertThat(r.read()).isEqualTo(4);
    assertThat(lakehouse.read(spark, PatientSchema.TABLE).count()).isEqualTo(2);
    assertThat(gender(spark, lakehouse, "p1")).isEqualTo("male");
    assertThat(gender(spark, lakehouse, "p2")).isEqualTo("other");
    // bronze keeps each distinct content once: the identical copy is stored once
    assertThat(lakehouse.read(spark, BronzeResourceSchema.TABLE).count()).isEqualTo(3);
  }

  @Test
  void copiesOfOneResourceInTwoFilesReadByTwoTasksLeaveOneSilverRow(SparkSession spark, @TempDir Path dir) throws IOException {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    // Two files, so two parse tasks: each sees p1 once, so only the tasks' reports together show the repeat.
    Path in = Files.createDirectories(dir.resolve("in"));
    Files.write(in.resolve("Patient.000.ndjson"), List.of(patient("p1", "9", "2024-06-01T00:00:00Z", "female"),
        patient("p2", "1", "2024-06-01T00:00:00Z", "other")));
    Files.write(in.resolve("Patient.001.ndjson"), List.of(patient("p1", "10", "2024-05-01T00:00:00Z", "male"),
        patient("p1", "9", "2024-06-01T00:00:00Z", "female")));
    FhirIngestResult r = new FhirIngestJob(spark, lakehouse, TestKeys.pseudonymizer(), Progress.silent()).execute(FhirIngestJob.plan(in));
    assertThat(r.reconciles()).isTrue();
    assertThat(r.read()).isEqualTo(4);
    assertThat(lakehouse.read(spark, PatientSchema.TABLE).count()).isEqualTo(2);
    assertThat(gender(spark, lakehouse, "p1")).isEqualTo("male");
    assertThat(lakehouse.read(spark, BronzeResourceSchema.TABLE).count()).as("the identical copy is stored once").isEqualTo(3);
    assertThat(lakehouse.read(spark, QuarantineSchema.TABLE).count()).as("created, and empty: nothing was quarantined").isZero();
  }

  @Test
  void bundleDeletesAndBulkDeletedFilesRemoveFromSilverAndLeaveBronzeTombstones(SparkSession spark, @TempDir Path dir)
      throws IOException {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    ingest(spark, lakehouse, dir, "data.ndjson", List.of(patient("p1", "1", "2024-01-01T00:00:00Z", "female"),
        condition("c1", "p1"), condition("c2", "p1"), observation("o1", "p1")));
    assertThat(lakehouse.read(spark, ConditionSchema.TABLE).count()).isEqualTo(2);

    // A transaction Bundle (Synthea-style .json) with a DELETE entry.
    FhirIngestResult bundle = ingest(spark, lakehouse, dir, "delete.json", List.of(deleteBundle("Condition/c1")));
    assertThat(bundle.deleted()).isEqualTo(1);
    assertThat(bundle.silverRowsDeleted()).isEqualTo(1);
    assertThat(lakehouse.read(spark, ConditionSchema.TABLE).collectAsList()).extracting(r -> r.<String>getAs(ConditionSchema.CONDITION_KEY))
        .containsExactly(TestKeys.pseudonymizer().resourceKey("Condition", "c2"));

    // A Bulk Data export's deleted file: NDJSON of transaction Bundles, ids after a base URL.
    FhirIngestResult bulk = ingest(spark, lakehouse, dir, "Observation.deleted.ndjson",
        List.of(deleteBundle("https://ehr.example.org/fhir/Observation/o1")));
    assertThat(bulk.deleted()).isEqualTo(1);
    assertThat(lakehouse.read(spark, ObservationSchema.TABLE).count()).isZero();

    List<Row> tombstones = lakehouse.read(spark, BronzeResourceSchema.TABLE).filter(col(BronzeResourceSchema.DELETED)).collectAsList();
    assertThat(tombstones).extracting(r -> r.getAs(BronzeResourceSchema.RESOURCE_TYPE) + "/" + r.getAs(BronzeResourceSchema.RESOURCE_ID))
        .containsExactlyInAnyOrder("Condition/c1", "Observation/o1");
    assertThat(lakehouse.read(spark, BronzeResourceSchema.TABLE).filter(col(BronzeResourceSchema.DELETED).equalTo(false)).count())
        .as("the received versions stay in bronze beside the tombstones").isEqualTo(4);

    // A conditional delete cannot be applied to an export: quarantined, not ignored.
    FhirIngestResult conditional = ingest(spark, lakehouse, dir, "conditional.json",
        List.of(deleteBundle("Condition?code=59621000", "Condition/c2")));
    assertThat(conditional.quarantinedByReason()).containsExactly(Map.entry("UNSUPPORTED_DELETE", 1L));
    assertThat(conditional.deleted()).isEqualTo(1);
    assertThat(lakehouse.read(spark, ConditionSchema.TABLE).count()).isZero();
  }

  @Test
  void aResourceWhosePatientIsNowhereIsQuarantinedAsAReferenceToNothing(SparkSession spark, @TempDir Path dir) throws IOException {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    ingest(spark, lakehouse, dir, "patients.ndjson", List.of(patient("p1", "1", "2024-01-01T00:00:00Z", "female")));
    // p1 is already in silver (an earlier run); ghost is nowhere.
    FhirIngestResult result = ingest(spark, lakehouse, dir, "conditions.ndjson", List.of(condition("c1", "p1"), condition("c2", "ghost")));
    assertThat(result.acceptedByType()).containsExactly(Map.entry("Condition", 1L));
    assertThat(result.quarantinedByReason()).containsExactly(Map.entry("DANGLING_REFERENCE", 1L));
    Row q = lakehouse.read(spark, QuarantineSchema.TABLE).head();
    assertThat(q.<String>getAs(QuarantineSchema.REASON)).startsWith("Condition refers to a Patient that is neither in this input")
        .doesNotContain("ghost");
    assertThat(q.<String>getAs(QuarantineSchema.RESOURCE_ID)).isEqualTo("c2");
    assertThat(q.<Long>getAs(QuarantineSchema.SOURCE_POSITION)).as("byte offset of the second line").isGreaterThan(0);
    assertThat(lakehouse.read(spark, ConditionSchema.TABLE).count()).isEqualTo(1);
  }
}
