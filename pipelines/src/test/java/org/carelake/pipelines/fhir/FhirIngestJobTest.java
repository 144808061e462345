package org.carelake.pipelines.fhir;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.TableId;
import org.carelake.core.TableWrite;
import org.carelake.core.schema.BronzeResourceSchema;
import org.carelake.core.schema.PatientSchema;
import org.carelake.core.schema.QuarantineSchema;
import org.carelake.core.testing.SparkExtension;
import org.carelake.core.testing.TestKeys;
import org.carelake.pipelines.fhir.internal.Mappers;
import org.carelake.pipelines.fhir.internal.ResourceMapper;
import org.carelake.pipelines.testing.SyntheaFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SparkExtension.class)
class FhirIngestJobTest {

  private static final List<String> BAD_LINES = List.of(
      "{\"resourceType\":\"Observation\",\"id\":\"broken\",\"status\":",
      "{\"resourceType\":\"Observation\",\"status\":\"final\"}",
      "{\"resourceType\":\"NotAThing\",\"id\":\"x1\"}");

  @TempDir static Path input;
  @TempDir static Path lakehouseDir;
  static FhirIngestResult first;
  static FhirIngestResult second;
  static FhirIngestResult forced;
  static Map<String, Long> linesPerType = new HashMap<>();

  @BeforeAll
  static void ingestTwice() throws IOException {
    SparkSession spark = SparkExtension.spark();
    try (Stream<Path> files = Files.list(SyntheaFixture.ndjson())) {
      for (Path f : files.filter(p -> p.toString().endsWith(".ndjson")).toList()) {
        Files.copy(f, input.resolve(f.getFileName()));
        // Independent count: one resource per non-blank line, type from the file name.
        try (Stream<String> lines = Files.lines(f)) {
          linesPerType.put(f.getFileName().toString().replace(".ndjson", ""), lines.filter(l -> !l.isBlank()).count());
        }
      }
    }
    Files.write(input.resolve("Broken.ndjson"), BAD_LINES, StandardCharsets.UTF_8);
    FhirIngestJob job = new FhirIngestJob(spark, new Lakehouse(lakehouseDir), TestKeys.pseudonymizer(), Progress.silent());
    first = job.execute(FhirIngestJob.plan(input));
    second = job.execute(FhirIngestJob.plan(input));
    forced = job.execute(FhirIngestJob.plan(input), true);
  }

  @Test
  void countsReconcileAgainstIndependentLineCounts(SparkSession spark) {
    Lakehouse lakehouse = new Lakehouse(lakehouseDir);
    long expectedGood = linesPerType.values().stream().mapToLong(Long::longValue).sum();
    assertThat(first.read()).isEqualTo(expectedGood + BAD_LINES.size());
    assertThat(first.reconciles()).isTrue();
    assertThat(first.quarantined()).isEqualTo(BAD_LINES.size());
    for (ResourceMapper mapper : Mappers.ALL) {
      assertThat(lakehouse.read(spark, mapper.table()).count()).as("silver rows of " + mapper.resourceType())
          .isEqualTo(linesPerType.getOrDefault(mapper.resourceType(), 0L));
    }
    assertThat(lakehouse.read(spark, BronzeResourceSchema.TABLE).count()).isEqualTo(expectedGood);
  }

  @Test
  void eachTableGetsAFileFromEachParseTaskThatReadItsRowsOnly(SparkSession spark) throws IOException {
    // Bulk NDJSON has a file per type: a table's rows come from the tasks reading that file's splits,
    // and a parse task with no row of a type writes no file for its table.
    Lakehouse lakehouse = new Lakehouse(lakehouseDir);
    long tasks = 0;
    for (ResourceMapper mapper : Mappers.ALL) {
      Path source = input.resolve(mapper.resourceType() + ".ndjson");
      long splits = Files.exists(source) ? (Files.size(source) + FhirIngestJob.MAX_SPLIT_BYTES - 1) / FhirIngestJob.MAX_SPLIT_BYTES : 0;
      tasks += splits;
      long files = lakehouse.read(spark, mapper.table()).inputFiles().length;
      assertThat(files).as("data files of " + mapper.table() + " (" + linesPerType.getOrDefault(mapper.resourceType(), 0L) + " rows)")
          .isLessThanOrEqualTo(splits);
    }
    assertThat(tasks).as("parse tasks over the silver types' files").isGreaterThan(Mappers.ALL.size());
  }

  @Test
  void deltaKeepsStatisticsOnlyForKeysAndTimes(SparkSession spark) throws IOException {
    Lakehouse lakehouse = new Lakehouse(lakehouseDir);
    ResourceMapper observations = Mappers.BY_TYPE.get("Observation");
    List<String> expected = FhirIngestJob.statsColumns(observations);
    assertThat(expected).startsWith(observations.keyColumn()).contains(PatientSchema.PATIENT_KEY).hasSizeGreaterThan(2);
    // What the first commit's files actually carry: min/max for those columns and no other.
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    for (var table : List.of(observations.table(), BronzeResourceSchema.TABLE)) {
      List<String> want = table.equals(BronzeResourceSchema.TABLE) ? FhirIngestJob.BRONZE_STATS_COLUMNS : expected;
      Path log = lakehouse.tablePath(table).resolve("_delta_log").resolve("00000000000000000000.json");
      java.util.Set<String> withStats = new java.util.TreeSet<>();
      for (String line : Files.readAllLines(log)) {
        var add = json.readTree(line).path("add");
        if (!add.isMissingNode()) {
          var stats = json.readTree(add.path("stats").asText());
          stats.path("nullCount").fieldNames().forEachRemaining(withStats::add);
        }
      }
      assertThat(withStats).as("columns with statistics in " + table).containsExactlyInAnyOrderElementsOf(want);
    }
  }

  @Test
  void quarantineKeepsEachBadRecordWithReasonAndSourceLocation(SparkSession spark) {
    List<Row> rows = new Lakehouse(lakehouseDir).read(spark, QuarantineSchema.TABLE)
        .orderBy(QuarantineSchema.SOURCE_POSITION).collectAsList();
    assertThat(rows).extracting(r -> r.<String>getAs(QuarantineSchema.REASON_CODE))
        .containsExactly("MALFORMED_JSON", "MISSING_ID", "UNKNOWN_RESOURCE_TYPE");
    assertThat(rows).allSatisfy(r -> assertThat(r.<String>getAs(QuarantineSchema.SOURCE_FILE)).endsWith("Broken.ndjson"));
    long secondLineOffset = BAD_LINES.get(0).length() + 1;
    assertThat(rows.get(1).<Long>getAs(QuarantineSchema.SOURCE_POSITION)).isEqualTo(secondLineOffset);
    assertThat(rows).extracting(r -> r.<String>getAs(QuarantineSchema.RAW)).containsExactlyElementsOf(BAD_LINES);
  }

  @Test
  void reingestingTheSameInputIsSkippedByTheManifestAndChangesNothingWhenForced() {
    assertThat(first.writes()).allMatch(w -> w.versionAfter() == 0);
    assertThat(second.skippedFiles()).as("every file is in ops.ingest_manifest with the same hash").isEqualTo(first.files());
    assertThat(second.read()).isZero();
    assertThat(second.writes()).isEmpty();
    assertThat(forced.read()).isEqualTo(first.read());
    assertThat(forced.unchanged()).as("every accepted resource is already in bronze").isEqualTo(first.accepted());
    assertThat(forced.upserted()).isZero();
    assertThat(forced.reconciles()).isTrue();
    assertThat(forced.writes()).as("no data table gets a new version").filteredOn(w -> !w.table().name().equals("ingest_manifest"))
        .noneMatch(TableWrite::changed);
  }

  @Test
  void silverHoldsNoDirectIdentifiersFromTheSource(SparkSession spark) throws IOException {
    Lakehouse lakehouse = new Lakehouse(lakehouseDir);
    // Take names and street lines straight from the raw export, then look for them in silver.
    List<String> raw = Files.readAllLines(input.resolve("Patient.ndjson")).subList(0, 5);
    List<String> identifiers = new java.util.ArrayList<>();
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    for (String line : raw) {
      var patient = mapper.readTree(line);
      identifiers.add(patient.path("id").asText());
      identifiers.add(patient.path("name").path(0).path("family").asText());
      identifiers.add(patient.path("address").path(0).path("line").path(0).asText());
    }
    for (TableId table : lakehouse.tables()) {
      if (table.layer() != org.carelake.core.Layer.SILVER) {
        continue;
      }
      String all = String.join("\n", lakehouse.read(spark, table).toJSON().collectAsList());
      for (String identifier : identifiers) {
        assertThat(all).as(table + " must not contain a source identifier").doesNotContain(identifier);
      }
    }
    assertThat(lakehouse.read(spark, PatientSchema.TABLE).filter(col(PatientSchema.RACE).isNull()).count())
        .as("US Core race extracted for every Synthea patient").isZero();
  }

  @Test
  void gzipNdjsonAndGzipBundlesAreReadLikeTheirPlainForms(SparkSession spark, @TempDir Path dir) throws IOException {
    Path in = Files.createDirectories(dir.resolve("in"));
    List<String> patients = Files.readAllLines(input.resolve("Patient.ndjson")).subList(0, 3);
    // Conditions of those patients (a Condition of another patient would be quarantined as a reference to nothing).
    List<String> ids = patients.stream().map(l -> l.replaceAll("^.*?\"id\":\"([^\"]+)\".*$", "$1")).toList();
    List<String> conditions = Files.readAllLines(input.resolve("Condition.ndjson")).stream()
        .filter(l -> ids.stream().anyMatch(id -> l.contains("Patient/" + id + "\""))).limit(2).toList();
    assertThat(conditions).hasSize(2);
    try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(in.resolve("Patient.000.ndjson.gz")))) {
      out.write((String.join("\n", patients) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    String bundle = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
        + String.join(",", conditions.stream()
            .map(r -> "{\"resource\":" + r + "}").toList()) + "]}";
    try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(in.resolve("bundle.json.gz")))) {
      out.write(bundle.getBytes(StandardCharsets.UTF_8));
    }
    FhirIngestResult result = new FhirIngestJob(spark, new Lakehouse(dir.resolve("lh")), TestKeys.pseudonymizer(), Progress.silent())
        .execute(FhirIngestJob.plan(in));
    assertThat(result.acceptedByType()).containsExactly(Map.entry("Condition", 2L), Map.entry("Patient", 3L));
    assertThat(result.quarantined()).isZero();
  }

  @Test
  void aTruncatedGzipFileIsABadInputErrorNamingItAndNothingIsCommitted(SparkSession spark, @TempDir Path dir) throws IOException {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    FhirIngestJob job = new FhirIngestJob(spark, lakehouse, TestKeys.pseudonymizer(), Progress.silent());
    Path good = Files.createDirectories(dir.resolve("good"));
    List<String> patients = Files.readAllLines(input.resolve("Patient.ndjson"));
    Files.write(good.resolve("Patient.ndjson"), patients.subList(0, 2));
    job.execute(FhirIngestJob.plan(good));
    long bronzeVersion = lakehouse.version(spark, BronzeResourceSchema.TABLE).orElseThrow();

    byte[] ndjson = (String.join("\n", patients) + "\n").getBytes(StandardCharsets.UTF_8);
    byte[] bundle = ("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
        + String.join(",", patients.stream().map(r -> "{\"resource\":" + r + "}").toList()) + "]}").getBytes(StandardCharsets.UTF_8);
    for (String name : List.of("Patient.001.ndjson.gz", "patients.json.gz")) {
      Path bad = Files.createDirectories(dir.resolve("bad-" + name));
      byte[] gz = gzip(name.endsWith(".ndjson.gz") ? ndjson : bundle);
      Files.write(bad.resolve(name), java.util.Arrays.copyOf(gz, gz.length / 2));
      Files.write(bad.resolve("Patient.002.ndjson"), patients.subList(2, 4)); // a readable file beside it commits nothing either
      assertThatThrownBy(() -> job.execute(FhirIngestJob.plan(bad))).isInstanceOf(CareLakeException.class)
          .satisfies(e -> assertThat(((CareLakeException) e).kind()).isEqualTo(CareLakeException.Kind.BAD_INPUT))
          .hasMessageContaining(bad.resolve(name).toString()).hasMessageContaining("truncated or corrupt")
          .hasMessageContaining("nothing was committed");
      assertThat(lakehouse.version(spark, BronzeResourceSchema.TABLE).orElseThrow()).as(name).isEqualTo(bronzeVersion);
      assertThat(lakehouse.read(spark, PatientSchema.TABLE).count()).as(name).isEqualTo(2);
    }
  }

  private static byte[] gzip(byte[] data) throws IOException {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (var out = new java.util.zip.GZIPOutputStream(bytes)) {
      out.write(data);
    }
    return bytes.toByteArray();
  }

  @Test
  void unreadableInputIsABadInputError() {
    assertThatThrownBy(() -> FhirIngestJob.plan(input.resolve("nope"))).isInstanceOf(CareLakeException.class)
        .hasMessageContaining("Cannot read FHIR input").hasMessageContaining("nope");
  }
}
