package org.carelake.pipelines.wearable;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.Pseudonymizer;
import org.carelake.core.schema.QuarantineSchema;
import org.carelake.core.schema.WearableDailySchema;
import org.carelake.core.schema.WearableMeasurementSchema;
import org.carelake.core.testing.SharedData;
import org.carelake.core.testing.SparkExtension;
import org.carelake.core.testing.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conformance on wearable exports nobody here wrote ({@code ../shared/data/wearable}): the public
 * Fitabase Fitbit export (33 users, a month, CRLF, US local times, zipped minute files) and the Open
 * mHealth schema test documents. Expected values are computed here from the files with plain Java.
 */
@ExtendWith(SparkExtension.class)
class SharedWearableConformanceTest {

  private static final Pseudonymizer KEYS = TestKeys.pseudonymizer();
  private static final DateTimeFormatter US = DateTimeFormatter.ofPattern("M/d/yyyy", Locale.US);
  private static final String ZONE = "America/Chicago";

  @TempDir Path dir;

  /** Data lines of a CSV (header and blank lines not counted), from a file or the single CSV in a zip. */
  private static List<String[]> rows(Path file) throws IOException {
    List<String[]> out = new ArrayList<>();
    if (file.toString().endsWith(".zip")) {
      try (ZipFile zip = new ZipFile(file.toFile());
          BufferedReader r = new BufferedReader(new InputStreamReader(zip.getInputStream(zip.entries().nextElement()), StandardCharsets.UTF_8))) {
        r.lines().skip(1).filter(l -> !l.isBlank()).forEach(l -> out.add(l.split(",", -1)));
      }
    } else {
      try (Stream<String> lines = Files.lines(file)) {
        lines.skip(1).filter(l -> !l.isBlank()).forEach(l -> out.add(l.split(",", -1)));
      }
    }
    return out;
  }

  private static LocalDate day(String usDateTime) {
    return LocalDate.parse(usDateTime.split(" ")[0], US);
  }

  private static String key(String id, LocalDate day) {
    return KEYS.patientKey("fitabase-" + id) + "|" + day;
  }

  @Test
  void fitabaseExportRowCountsAndDailyTotalsMatchTheFiles() throws IOException {
    Path root = SharedData.require("wearable/fitbit_fitabase_2016");
    Path month = root.resolve("4.12.16-5.12.16");
    Path heart = Files.list(root.resolve("heartrate_partial")).findFirst().orElseThrow();
    Set<String> ids = new HashSet<>();
    rows(month.resolve("dailyActivity_merged.csv")).forEach(r -> ids.add(r[0]));
    rows(heart).forEach(r -> ids.add(r[0]));
    StringBuilder devices = new StringBuilder("device_id,patient_id,time_zone\n");
    ids.forEach(id -> devices.append(id).append(",fitabase-").append(id).append(',').append(ZONE).append('\n'));
    Path devicesFile = Files.writeString(dir.resolve("devices.csv"), devices);
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));

    WearableIngestResult result = new WearableIngestJob(SparkExtension.spark(), lakehouse, KEYS, Progress.silent())
        .execute(WearableIngestJob.plan(root), devicesFile, null, false);

    // per file: every data line is a record, accepted or quarantined
    Map<String, String> layouts = Map.of("dailyActivity_merged.csv", "fitabase-daily-activity", "dailyIntensities_merged.csv",
        "fitabase-daily-intensities", "dailySteps_merged.csv", "fitabase-daily-steps", "hourlySteps_merged.csv", "fitabase-hourly-steps",
        "minuteIntensitiesWide_merged.csv", "fitabase-minute-intensities-wide", "minuteStepsNarrow_merged.zip",
        "fitabase-minute-steps-narrow", "minuteStepsWide_merged.csv", "fitabase-minute-steps-wide", "sleepDay_merged.csv",
        "fitabase-sleep-day", "weightLogInfo_merged.csv", "fitabase-weight-log");
    Map<String, Long> expected = new TreeMap<>();
    for (Map.Entry<String, String> e : layouts.entrySet()) {
      expected.put(e.getValue(), (long) rows(month.resolve(e.getKey())).size());
    }
    expected.put("fitabase-heartrate-seconds", (long) rows(heart).size());
    assertThat(result.recordsByFormat()).isEqualTo(expected);
    assertThat(result.filesNotIngested().keySet()).anyMatch(f -> f.contains("minuteMETsNarrow")).anyMatch(f -> f.contains("dailyCalories"));
    assertThat(result.reconciles()).isTrue();
    long notWorn = rows(month.resolve("dailyActivity_merged.csv")).stream()
        .filter(r -> Double.parseDouble(r[13]) >= 1440 && Double.parseDouble(r[2]) == 0).count()
        + rows(month.resolve("dailyIntensities_merged.csv")).stream().filter(r -> Double.parseDouble(r[2]) >= 1440).count();
    assertThat(result.quarantinedByReason()).isEqualTo(Map.of("DEVICE_NOT_WORN", notWorn));

    // daily steps: the most complete of the export's own daily total, the hourly sum and the minute sum
    // (minutes in both the narrow and the wide file count once, the wide file's value winning: later in path order)
    Map<String, Double> dayTotal = new HashMap<>();
    for (String[] r : rows(month.resolve("dailyActivity_merged.csv"))) {
      if (!(Double.parseDouble(r[13]) >= 1440 && Double.parseDouble(r[2]) == 0)) {
        dayTotal.put(key(r[0], day(r[1])), Double.parseDouble(r[2]));
      }
    }
    for (String[] r : rows(month.resolve("dailySteps_merged.csv"))) {
      dayTotal.put(key(r[0], day(r[1])), Double.parseDouble(r[2]));
    }
    Map<String, Double> hourly = new HashMap<>();
    for (String[] r : rows(month.resolve("hourlySteps_merged.csv"))) {
      hourly.merge(key(r[0], day(r[1])), Double.parseDouble(r[2]), Double::sum);
    }
    Map<String, Double> minute = new HashMap<>();
    for (String[] r : rows(month.resolve("minuteStepsNarrow_merged.zip"))) {
      minute.put(r[0] + "|" + r[1], Double.parseDouble(r[2]));
    }
    for (String[] r : rows(month.resolve("minuteStepsWide_merged.csv"))) {
      java.time.LocalDateTime hour = java.time.LocalDateTime.parse(r[1], DateTimeFormatter.ofPattern("M/d/yyyy h:mm:ss a", Locale.US));
      for (int m = 0; m < 60; m++) {
        minute.put(r[0] + "|" + hour.plusMinutes(m).format(DateTimeFormatter.ofPattern("M/d/yyyy h:mm:ss a", Locale.US)),
            Double.parseDouble(r[2 + m]));
      }
    }
    Map<String, Double> minuteByDay = new HashMap<>();
    minute.forEach((k, v) -> {
      String[] parts = k.split("\\|");
      minuteByDay.merge(key(parts[0], day(parts[1])), v, Double::sum);
    });
    Map<String, Double> expectedSteps = new HashMap<>(dayTotal);
    hourly.forEach((k, v) -> expectedSteps.merge(k, v, Math::max));
    minuteByDay.forEach((k, v) -> expectedSteps.merge(k, v, Math::max));

    SparkSession spark = SparkExtension.spark();
    Map<String, Row> gold = new HashMap<>();
    for (Row r : lakehouse.read(spark, WearableDailySchema.TABLE).collectAsList()) {
      gold.put(r.getAs(WearableDailySchema.PATIENT_KEY) + "|" + r.getAs(WearableDailySchema.DAY), r);
    }
    Map<String, Double> actualSteps = new HashMap<>();
    gold.forEach((k, r) -> {
      if (r.getAs(WearableDailySchema.STEPS) != null) {
        actualSteps.put(k, r.getAs(WearableDailySchema.STEPS));
      }
    });
    assertThat(actualSteps).hasSize(expectedSteps.size()).isEqualTo(expectedSteps);
    // the export's own daily steps agree with the sum of its minute steps on most days; where they do, that is the day's value
    long agreeing = dayTotal.entrySet().stream().filter(e -> e.getValue().equals(minuteByDay.get(e.getKey()))).count();
    assertThat(agreeing).isGreaterThan(dayTotal.size() / 2);

    // heart rate by second (one user's tail): mean, max and coverage per local day
    Map<LocalDate, double[]> hr = new TreeMap<>();
    Map<LocalDate, Set<String>> minutes = new HashMap<>();
    String hrUser = null;
    for (String[] r : rows(heart)) {
      hrUser = r[0];
      LocalDate d = day(r[1]);
      double v = Double.parseDouble(r[2]);
      double[] acc = hr.computeIfAbsent(d, x -> new double[3]);
      acc[0] += v;
      acc[1]++;
      acc[2] = Math.max(acc[2], v);
      String[] t = r[1].split(" ");
      minutes.computeIfAbsent(d, x -> new HashSet<>()).add(t[1].substring(0, t[1].lastIndexOf(':')) + t[2]);
    }
    for (Map.Entry<LocalDate, double[]> e : hr.entrySet()) {
      Row row = gold.get(key(hrUser, e.getKey()));
      assertThat(row.<Double>getAs(WearableDailySchema.MEAN_HEART_RATE)).isCloseTo(e.getValue()[0] / e.getValue()[1], within(0.006));
      assertThat(row.<Double>getAs(WearableDailySchema.MAX_HEART_RATE)).isEqualTo(e.getValue()[2]);
      assertThat(row.<Double>getAs(WearableDailySchema.COVERAGE)).isCloseTo(minutes.get(e.getKey()).size() / 1440.0, within(0.0001));
    }

    // weight: the mean of the day's logged kilograms
    Map<String, double[]> weights = new HashMap<>();
    for (String[] r : rows(month.resolve("weightLogInfo_merged.csv"))) {
      double[] acc = weights.computeIfAbsent(key(r[0], day(r[1])), x -> new double[2]);
      acc[0] += Double.parseDouble(r[2]);
      acc[1]++;
    }
    weights.forEach((k, acc) -> assertThat(gold.get(k).<Double>getAs(WearableDailySchema.WEIGHT_KG)).isCloseTo(acc[0] / acc[1], within(0.006)));
  }

  @Test
  void openMHealthDocumentsThatShouldFailAreNeverAccepted() throws IOException {
    Path root = SharedData.require("wearable/openmhealth_schema_test_data");
    Path devicesFile = Files.writeString(dir.resolve("devices.csv"), "device_id,patient_id,time_zone\nomh-test,omh-patient,UTC\n");
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh-omh"));
    ObjectMapper json = new ObjectMapper();
    long documents = 0;
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(p -> p.toString().endsWith(".json")).toList();
    }
    for (Path f : files) {
      JsonNode doc = json.readTree(f.toFile());
      documents += doc.isArray() ? doc.size() : 1;
    }

    WearableIngestResult result = new WearableIngestJob(SparkExtension.spark(), lakehouse, KEYS, Progress.silent())
        .execute(WearableIngestJob.plan(root), devicesFile, "omh-test", false);

    assertThat(result.read()).isEqualTo(documents);
    assertThat(result.reconciles()).isTrue();
    SparkSession spark = SparkExtension.spark();
    List<String> acceptedFiles = lakehouse.read(spark, WearableMeasurementSchema.TABLE).select(WearableMeasurementSchema.SOURCE_FILE)
        .distinct().collectAsList().stream().map(r -> root.relativize(Path.of(r.getString(0))).toString()).toList();
    assertThat(acceptedFiles).isNotEmpty().noneMatch(f -> f.contains("shouldFail"))
        .allMatch(f -> f.startsWith("heart-rate") || f.startsWith("step-count") || f.startsWith("sleep-duration") || f.startsWith("body-weight"))
        .contains("sleep-duration/2.0/shouldPass/valid-sleep-duration.json",
            "body-weight/1.0/shouldPass/date-time-time-frame.json", "step-count/3.0/shouldPass/valid-step-count.json");
    // a valid document is kept aside only for a reason CareLake states: no time frame, a summary statistic, an impossible value
    List<Row> keptAside = lakehouse.read(spark, WearableMeasurementSchema.QUARANTINE).collectAsList();
    for (Row q : keptAside) {
      String file = root.relativize(Path.of(q.<String>getAs(QuarantineSchema.SOURCE_FILE))).toString();
      String reason = q.getAs(QuarantineSchema.REASON_CODE);
      boolean ours = file.startsWith("heart-rate") || file.startsWith("step-count") || file.startsWith("sleep-duration")
          || file.startsWith("body-weight");
      if (!ours) {
        assertThat(reason).as(file).isIn("UNKNOWN_METRIC", "MALFORMED_RECORD");
      } else if (file.contains("shouldPass")) {
        assertThat(reason).as(file).isIn("INVALID_TIME_FRAME", "DESCRIPTIVE_STATISTIC", "IMPOSSIBLE_VALUE");
      }
    }
    // every valid heart-rate reading with a time is in silver, once per instant (several documents share one)
    Set<java.time.Instant> readings = new HashSet<>();
    for (Path f : files) {
      JsonNode doc = json.readTree(f.toFile());
      String rel = root.relativize(f).toString();
      if (rel.startsWith("heart-rate") && rel.contains("shouldPass") && !doc.has("descriptive_statistic")
          && doc.path("effective_time_frame").has("date_time")) {
        readings.add(java.time.OffsetDateTime.parse(doc.path("effective_time_frame").path("date_time").asText()).toInstant());
      }
    }
    assertThat(lakehouse.read(spark, WearableMeasurementSchema.TABLE).filter(col(WearableMeasurementSchema.METRIC).equalTo("heart_rate"))
        .collectAsList()).extracting(r -> r.<java.sql.Timestamp>getAs(WearableMeasurementSchema.START_TIME).toInstant())
        .containsExactlyInAnyOrderElementsOf(readings);
    Row sleep = lakehouse.read(spark, WearableMeasurementSchema.TABLE)
        .filter(col(WearableMeasurementSchema.SOURCE_FILE).endsWith("sleep-duration/2.0/shouldPass/valid-sleep-duration.json")).head();
    assertThat(sleep.<Double>getAs(WearableMeasurementSchema.VALUE)).isEqualTo(450.0);
    assertThat(sleep.<String>getAs(WearableMeasurementSchema.METRIC)).isEqualTo("sleep");
    // its file's lineage: read as Open mHealth, by this run
    Row source = lakehouse.read(spark, WearableMeasurementSchema.SOURCE_FILES)
        .filter(col(WearableMeasurementSchema.SOURCE_FILE).equalTo(sleep.<String>getAs(WearableMeasurementSchema.SOURCE_FILE))).head();
    assertThat(source.<String>getAs(WearableMeasurementSchema.SOURCE_FORMAT)).isEqualTo("open-mhealth");
    assertThat(source.<String>getAs(WearableMeasurementSchema.INGEST_RUN_ID)).isEqualTo(result.runId());
  }
}
