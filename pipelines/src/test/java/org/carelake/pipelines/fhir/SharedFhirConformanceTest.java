package org.carelake.pipelines.fhir;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.schema.BronzeResourceSchema;
import org.carelake.core.schema.QuarantineSchema;
import org.carelake.core.testing.SharedData;
import org.carelake.core.testing.SparkExtension;
import org.carelake.core.testing.TestKeys;
import org.carelake.pipelines.fhir.internal.Mappers;
import org.carelake.pipelines.fhir.internal.ResourceMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conformance on FHIR exports nobody on this team generated ({@code ../shared/data/fhir}): upstream
 * Synthea R4 transaction Bundles with conditional references, a Bulk Data NDJSON export, and STU3 /
 * DSTU2 bundles. Expected counts come from plain JSON reading, independent of HAPI.
 */
@ExtendWith(SparkExtension.class)
class SharedFhirConformanceTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** resourceType -> count, from NDJSON lines and Bundle entries. */
  private static Map<String, Long> expectedCounts(Path dir) throws IOException {
    Map<String, Long> counts = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        String name = f.getFileName().toString();
        if (name.endsWith(".ndjson") && !name.equals("log.ndjson")) {
          for (String line : Files.readAllLines(f)) {
            if (!line.isBlank()) {
              counts.merge(JSON.readTree(line).path("resourceType").asText(), 1L, Long::sum);
            }
          }
        } else if (name.endsWith(".json")) {
          JsonNode root = JSON.readTree(f.toFile());
          if ("Bundle".equals(root.path("resourceType").asText())) {
            for (JsonNode entry : root.path("entry")) {
              counts.merge(entry.path("resource").path("resourceType").asText(), 1L, Long::sum);
            }
          } else {
            counts.merge(root.path("resourceType").asText(), 1L, Long::sum);
          }
        }
      }
    }
    return counts;
  }

  @Test
  void r4ExportsLandCompletelyPerResourceType(SparkSession spark, @TempDir Path lakehouseDir) throws IOException {
    Path fhir = SharedData.require("fhir");
    Lakehouse lakehouse = new Lakehouse(lakehouseDir);
    FhirIngestJob job = new FhirIngestJob(spark, lakehouse, TestKeys.pseudonymizer(), Progress.silent());
    for (String export : List.of("bulk_ndjson_10_patients", "synthea_r4_bundles")) {
      Map<String, Long> expected = expectedCounts(fhir.resolve(export));
      FhirIngestResult result = job.execute(FhirIngestJob.plan(fhir.resolve(export)));
      assertThat(result.reconciles()).isTrue();
      assertThat(result.acceptedByType()).as(export + " accepted per resource type").isEqualTo(expected);
      if (export.startsWith("bulk")) {
        // The export's log.ndjson holds the exporter's progress messages, not resources: each line is
        // quarantined with a reason (and counted), never dropped.
        assertThat(result.quarantinedByReason()).containsExactly(Map.entry("UNKNOWN_RESOURCE_TYPE", 4L));
      } else {
        assertThat(result.quarantinedByReason()).as(export + " is valid R4: nothing quarantined").isEmpty();
      }
    }
    Map<String, Long> all = new TreeMap<>(expectedCounts(fhir.resolve("bulk_ndjson_10_patients")));
    expectedCounts(fhir.resolve("synthea_r4_bundles")).forEach((k, v) -> all.merge(k, v, Long::sum));
    for (ResourceMapper mapper : Mappers.ALL) {
      assertThat(lakehouse.read(spark, mapper.table()).count()).as("silver rows of " + mapper.resourceType())
          .isEqualTo(all.getOrDefault(mapper.resourceType(), 0L));
    }
    Map<String, Long> bronze = new TreeMap<>();
    for (Row r : lakehouse.read(spark, BronzeResourceSchema.TABLE).groupBy(BronzeResourceSchema.RESOURCE_TYPE).count().collectAsList()) {
      bronze.put(r.getString(0), r.getLong(1));
    }
    assertThat(bronze).as("bronze keeps every resource of every type").isEqualTo(all);
  }

  @Test
  void stu3AndDstu2BundlesAreQuarantinedAsNotR4(SparkSession spark, @TempDir Path lakehouseDir) {
    Path nonR4 = SharedData.require("fhir/non_r4");
    Lakehouse lakehouse = new Lakehouse(lakehouseDir);
    FhirIngestResult result = new FhirIngestJob(spark, lakehouse, TestKeys.pseudonymizer(), Progress.silent())
        .execute(FhirIngestJob.plan(nonR4));
    assertThat(result.acceptedByType()).as("nothing half-parsed as R4").isEmpty();
    assertThat(result.quarantinedByReason()).containsOnlyKeys("NOT_R4");
    List<Row> rows = lakehouse.read(spark, QuarantineSchema.TABLE).orderBy(QuarantineSchema.SOURCE_FILE).collectAsList();
    assertThat(rows).extracting(r -> Path.of(r.<String>getAs(QuarantineSchema.SOURCE_FILE)).getFileName().toString())
        .containsExactly("DSTU2_Streich_Kathlyn_16.json", "STU3_Streich_Kathlyn_16.json");
    assertThat(rows).allSatisfy(r -> assertThat(r.<String>getAs(QuarantineSchema.REASON))
        .contains("does not match the FHIR R4 structure").contains("Fix:"));
    assertThat(lakehouse.read(spark, QuarantineSchema.TABLE).filter(col(QuarantineSchema.RAW).isNull()).count()).isZero();
  }
}
