package org.carelake.pipelines.wearable;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.Pseudonymizer;
import org.carelake.core.TableWrite;
import org.carelake.core.schema.QuarantineSchema;
import org.carelake.core.schema.WearableDailySchema;
import org.carelake.core.schema.WearableMeasurementSchema;
import org.carelake.core.testing.SparkExtension;
import org.carelake.core.testing.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wearable ingestion on files written here: the Fitabase layouts with local times in a zone with a
 * daylight-saving change, Open mHealth JSON, the generic CSV; bad records of every kind; re-runs,
 * overlapping exports, late data and a device mapped after its data arrived.
 */
@ExtendWith(SparkExtension.class)
class WearableIngestJobTest {

  private static final Pseudonymizer KEYS = TestKeys.pseudonymizer();
  private static final String NY = "America/New_York";

  @TempDir Path dir;

  private WearableIngestJob job(Lakehouse lakehouse) {
    return new WearableIngestJob(SparkExtension.spark(), lakehouse, KEYS, Progress.silent());
  }

  private Path devices(String... rows) throws IOException {
    Path file = dir.resolve("devices-" + rows.length + "-" + String.join("", rows).hashCode() + ".csv");
    Files.writeString(file, "device_id,patient_id,time_zone\n" + String.join("\n", rows) + "\n");
    return file;
  }

  private static Path write(Path folder, String name, String... lines) throws IOException {
    Files.createDirectories(folder);
    Path file = folder.resolve(name);
    // Fitabase files have CRLF line endings
    Files.writeString(file, String.join("\r\n", lines) + "\r\n");
    return file;
  }

  private static Map<String, Row> dailyByDay(Lakehouse lakehouse, String patient) {
    return lakehouse.read(SparkExtension.spark(), WearableDailySchema.TABLE)
        .filter(col(WearableDailySchema.PATIENT_KEY).equalTo(KEYS.patientKey(patient))).collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getAs(WearableDailySchema.DAY).toString(), r -> r));
  }

  @Test
  void fitabaseLocalTimesBecomeUtcAcrossADaylightSavingChangeAndDaysAddUp() throws IOException {
    Path in = dir.resolve("in");
    // 2016-03-13: New York springs forward at 2:00 local (EST -5 -> EDT -4).
    write(in, "minuteStepsNarrow_merged.csv", "Id,ActivityMinute,Steps", "1001,3/12/2016 11:59:00 PM,7",
        "1001,3/13/2016 1:59:00 AM,10", "1001,3/13/2016 3:00:00 AM,20", "1001,3/13/2016 11:00:00 PM,30");
    write(in, "heartrate_seconds_merged.csv", "Id,Time,Value", "1001,3/13/2016 8:00:00 AM,60", "1001,3/13/2016 8:00:30 AM,70",
        "1001,3/13/2016 8:01:05 AM,80");
    // one night's sleep log crossing midnight counts for the day it ends
    write(in, "minuteSleep_merged.csv", "Id,date,value,logId", "1001,3/12/2016 11:58:00 PM,1,77", "1001,3/12/2016 11:59:00 PM,2,77",
        "1001,3/13/2016 12:00:00 AM,1,77", "1001,3/13/2016 12:01:00 AM,1,77");
    write(in, "weightLogInfo_merged.csv", "Id,Date,WeightKg,WeightPounds,Fat,BMI,IsManualReport,LogId",
        "1001,3/13/2016 11:59:59 PM,80.5,177.4,,25.1,True,1");
    Files.writeString(in.resolve("other_vendor.csv"), "device_id,timestamp,metric,value,unit\n"
        + "watch-9,2016-03-13T09:00:00-04:00,body_weight,180,lb\n");
    Files.writeString(in.resolve("points.json"), "[{\"header\":{\"user_id\":\"watch-9\",\"schema_id\":{\"name\":\"sleep-duration\"}},"
        + "\"body\":{\"sleep_duration\":{\"value\":7.5,\"unit\":\"h\"},\"effective_time_frame\":{\"time_interval\":{"
        + "\"start_date_time\":\"2016-03-13T23:00:00-04:00\",\"end_date_time\":\"2016-03-14T07:00:00-04:00\"}}}}]");
    Files.writeString(in.resolve("README.txt"), "not an input");
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));

    WearableIngestJob.WearablePlan plan = WearableIngestJob.plan(in);
    assertThat(plan.ignored()).extracting(p -> p.getFileName().toString()).containsExactly("README.txt");
    WearableIngestResult r = job(lakehouse).execute(plan, devices("1001,p1," + NY, "watch-9,p2," + NY), null, false);

    assertThat(r.reconciles()).isTrue();
    assertThat(r.read()).isEqualTo(4 + 3 + 4 + 1 + 1 + 1);
    assertThat(r.quarantined()).isZero();
    SparkSession spark = SparkExtension.spark();
    // A first ingest counts its patient-days from the daily rows it writes: p1 on 12 and 13 March, p2 on 13 and 14 March.
    assertThat(r.daysUpdated()).isEqualTo(lakehouse.read(spark, WearableDailySchema.TABLE).count()).isEqualTo(4);
    // Delta keeps min/max statistics only for the columns reads filter on.
    Map<String, String> properties = io.delta.tables.DeltaTable.forPath(spark, lakehouse.tablePath(WearableMeasurementSchema.TABLE)
        .toString()).detail().select("properties").head().getJavaMap(0);
    assertThat(properties).containsEntry("delta.dataSkippingStatsColumns", String.join(",", WearableMeasurementSchema.STATS_COLUMNS));
    Dataset<Row> silver = lakehouse.read(spark, WearableMeasurementSchema.TABLE);
    List<Row> steps = silver.filter(col("metric").equalTo("steps")).orderBy("start_time").collectAsList();
    assertThat(steps).extracting(row -> row.<Timestamp>getAs("start_time").toInstant()).containsExactly(
        Instant.parse("2016-03-13T04:59:00Z"), Instant.parse("2016-03-13T06:59:00Z"), Instant.parse("2016-03-13T07:00:00Z"),
        Instant.parse("2016-03-14T03:00:00Z"));
    assertThat(steps.get(0).<Date>getAs("local_day").toLocalDate()).isEqualTo(LocalDate.parse("2016-03-12"));
    assertThat(steps.get(3).<Date>getAs("local_day").toLocalDate()).isEqualTo(LocalDate.parse("2016-03-13"));
    assertThat(silver.filter(col("metric").equalTo("body_weight").and(col("patient_key").equalTo(KEYS.patientKey("p2"))))
        .head().<Double>getAs("value")).isCloseTo(81.65, within(0.01)); // 180 lb
    assertThat(silver.select("device_key").distinct().collectAsList()).extracting(row -> row.getString(0))
        .doesNotContain("1001", "watch-9");

    Map<String, Row> p1 = dailyByDay(lakehouse, "p1");
    assertThat(p1.keySet()).containsExactlyInAnyOrder("2016-03-12", "2016-03-13");
    Row d13 = p1.get("2016-03-13");
    assertThat(d13.<Double>getAs(WearableDailySchema.STEPS)).isEqualTo(60.0);
    assertThat(d13.<Double>getAs(WearableDailySchema.SLEEP_MINUTES)).isEqualTo(3.0); // the whole night, asleep minutes only
    assertThat(p1.get("2016-03-12").<Double>getAs(WearableDailySchema.SLEEP_MINUTES)).isNull();
    assertThat(d13.<Double>getAs(WearableDailySchema.MEAN_HEART_RATE)).isEqualTo(70.0);
    assertThat(d13.<Double>getAs(WearableDailySchema.MAX_HEART_RATE)).isEqualTo(80.0);
    assertThat(d13.<Double>getAs(WearableDailySchema.RESTING_HEART_RATE)).isNull(); // under an hour of data
    assertThat(d13.<Double>getAs(WearableDailySchema.COVERAGE)).isCloseTo(2.0 / 1380, within(1e-4)); // a 23-hour day
    assertThat(d13.<Timestamp>getAs(WearableDailySchema.DAY_END).toInstant()).isEqualTo(Instant.parse("2016-03-14T04:00:00Z"));
    assertThat(d13.<Double>getAs(WearableDailySchema.WEIGHT_KG)).isEqualTo(80.5);
    Row p2 = dailyByDay(lakehouse, "p2").get("2016-03-14");
    assertThat(p2.<Double>getAs(WearableDailySchema.SLEEP_MINUTES)).isEqualTo(450.0);
    // The first ingest keyed its days by device hash; the rebuild from silver keys them by the strings: the same table.
    assertThat(job(lakehouse).rebuildDaily().changed()).isFalse();
  }

  @Test
  void aPatientsTwoDevicesCountAsOneDayWhetherComputedFromTheIngestOrRebuiltFromSilver() throws IOException {
    Path in = dir.resolve("in");
    // p1 wears a watch (1001) and a tracker (1003) on the same morning; p2 (2002) lives in another zone.
    write(in, "heartrate_seconds_merged.csv", "Id,Time,Value", "1001,4/12/2016 8:00:00 AM,60", "1001,4/12/2016 8:01:00 AM,80",
        "1003,4/12/2016 8:01:30 AM,70", "1003,4/12/2016 8:02:00 AM,90", "2002,4/12/2016 8:00:00 AM,50");
    write(in, "minuteStepsNarrow_merged.csv", "Id,ActivityMinute,Steps", "1001,4/12/2016 8:00:00 AM,10",
        "1001,4/12/2016 8:01:00 AM,20", "1003,4/12/2016 8:00:00 AM,25", "2002,4/12/2016 8:00:00 AM,5");
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    job(lakehouse).execute(WearableIngestJob.plan(in), devices("1001,p1," + NY, "1003,p1," + NY, "2002,p2,Europe/Berlin"), null, false);

    Row p1 = dailyByDay(lakehouse, "p1").get("2016-04-12");
    assertThat(p1.<Double>getAs(WearableDailySchema.MEAN_HEART_RATE)).isEqualTo(75.0); // all four samples
    assertThat(p1.<Double>getAs(WearableDailySchema.MAX_HEART_RATE)).isEqualTo(90.0);
    assertThat(p1.<Double>getAs(WearableDailySchema.STEPS)).isEqualTo(30.0); // the larger device total, not 55
    assertThat(p1.<Double>getAs(WearableDailySchema.COVERAGE)).isCloseTo(3.0 / 1440, within(1e-4)); // minutes 8:00, 8:01, 8:02
    Row p2 = dailyByDay(lakehouse, "p2").get("2016-04-12");
    assertThat(p2.<Timestamp>getAs(WearableDailySchema.DAY_END).toInstant()).isEqualTo(Instant.parse("2016-04-12T22:00:00Z"));
    assertThat(p2.<Double>getAs(WearableDailySchema.STEPS)).isEqualTo(5.0);

    List<Row> fromIngest = lakehouse.read(SparkExtension.spark(), WearableDailySchema.TABLE).orderBy("patient_key", "day").collectAsList();
    assertThat(job(lakehouse).rebuildDaily().changed()).isFalse();
    Dataset<Row> silver = lakehouse.read(SparkExtension.spark(), WearableMeasurementSchema.TABLE);
    // No devices to key by: the string-keyed computation.
    assertThat(WearableDaily.compute(silver, List.of()).orderBy("patient_key", "day").collectAsList()).isEqualTo(fromIngest);
  }

  @Test
  void aPatientsMeasurementsAreReadWithoutOtherPatientsFilesAndDeviceOrMetricFiltersStillWork() throws IOException {
    Path in = dir.resolve("in");
    // One file per patient (each read by its own task, so each partition holds a file per patient), same day.
    write(in.resolve("a"), "heartrate_seconds_merged.csv", "Id,Time,Value", "1001,4/12/2016 8:00:00 AM,60", "1001,4/12/2016 8:00:05 AM,61");
    write(in.resolve("b"), "heartrate_seconds_merged.csv", "Id,Time,Value", "2002,4/12/2016 8:00:00 AM,70", "2002,4/12/2016 8:00:05 AM,71",
        "2002,4/12/2016 8:00:10 AM,72");
    write(in.resolve("b"), "minuteStepsNarrow_merged.csv", "Id,ActivityMinute,Steps", "2002,4/12/2016 8:00:00 AM,12");
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    job(lakehouse).execute(WearableIngestJob.plan(in), devices("1001,p1," + NY, "2002,p2," + NY), null, false);

    SparkSession spark = SparkExtension.spark();
    Dataset<Row> silver = lakehouse.read(spark, WearableMeasurementSchema.TABLE);
    assertThat(filesScanned(silver)).isEqualTo(3);
    // Delta's file statistics on patient_key: the other patient's files are not opened.
    Dataset<Row> p1 = silver.filter(col(WearableMeasurementSchema.PATIENT_KEY).equalTo(KEYS.patientKey("p1")));
    assertThat(filesScanned(p1)).isEqualTo(1);
    assertThat(p1.count()).isEqualTo(2);
    // No Delta statistics on device or metric (they cost ingest time): such filters read the files and stay correct.
    assertThat(silver.filter(col(WearableMeasurementSchema.DEVICE_KEY).equalTo(KEYS.resourceKey("Device", "2002"))).count()).isEqualTo(4);
    assertThat(silver.filter(col(WearableMeasurementSchema.METRIC).equalTo("steps")).count()).isEqualTo(1);
  }

  /** The files the query's scan read, after partition pruning and Delta's data skipping (the scan's numFiles metric). */
  private static long filesScanned(Dataset<Row> query) {
    query.collectAsList();
    org.apache.spark.sql.execution.SparkPlan plan = query.queryExecution().executedPlan();
    if (plan instanceof org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec adaptive) {
      plan = adaptive.finalPhysicalPlan();
    }
    long files = 0;
    for (org.apache.spark.sql.execution.SparkPlan leaf : scala.collection.JavaConverters.seqAsJavaList(plan.collectLeaves())) {
      if (leaf instanceof org.apache.spark.sql.execution.FileSourceScanExec scan) {
        files += scan.metrics().apply("numFiles").value();
      }
    }
    return files;
  }

  @Test
  void badRecordsAreQuarantinedWithReasonAndPositionAndCountsReconcile() throws IOException {
    Path in = dir.resolve("bad");
    String header = "Id,Time,Value";
    String good = "1001,4/12/2016 7:21:00 AM,65";
    String noSuchDay = "1001,4/31/2016 7:21:00 AM,65";
    Path hr = write(in, "heartrate_seconds_merged.csv", header, good, noSuchDay, "1001,4/12/2016 7:22:00 AM,0", "1001,4/12/2016 7:23:00 AM,300", "1001,4/12/2016 7:24:00 AM,abc", "1001,4/12/2016 7:25:00 AM",
        "2002,4/12/2016 7:21:00 AM,70");
    write(in, "minuteStepsNarrow_merged.csv", "Id,ActivityMinute,Steps", "1001,4/12/2016 7:21:00 AM,-5", "1001,4/12/2016 7:22:00 AM,12");
    write(in, "sleepDay_merged.csv", "Id,SleepDay,TotalSleepRecords,TotalMinutesAsleep,TotalTimeInBed", "1001,4/12/2016 12:00:00 AM,1,900,950");
    write(in, "generic.csv", "device_id,timestamp,metric,value,unit", "1001,2016-04-12T12:00:00Z,sleep,800,min",
        "1001,2016-04-12T12:00:00Z,blood_pressure,120,mmHg", "1001,2016-04-12T12:00:00Z,body_weight,70,stone",
        "1001,2016-04-12 12:00:00,body_weight,70,kg");
    write(in, "mystery.csv", "Id,When,Howmuch", "1001,4/12/2016,3");
    Files.writeString(in.resolve("broken.json"), "{\"heart_rate\": {\"value\": 60");
    // no schema_id and two measures in one body: ambiguous, so quarantined rather than read as either
    Files.writeString(in.resolve("ambiguous.json"), "[{\"header\":{\"user_id\":\"1001\"},\"body\":{"
        + "\"heart_rate\":{\"value\":60,\"unit\":\"beats/min\"},\"step_count\":{\"value\":10,\"unit\":\"steps\"},"
        + "\"effective_time_frame\":{\"date_time\":\"2016-04-12T12:00:00Z\"}}}]");
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh-bad"));

    WearableIngestResult r = job(lakehouse).execute(WearableIngestJob.plan(in), devices("1001,p1,Europe/Berlin"), null, false);

    assertThat(r.reconciles()).isTrue();
    assertThat(r.read()).isEqualTo(7 + 2 + 1 + 4 + 1 + 1 + 1);
    assertThat(r.accepted()).isEqualTo(2); // one heart rate, 12 steps
    assertThat(r.quarantinedByReason()).containsEntry("UNPARSEABLE_TIMESTAMP", 2L).containsEntry("IMPOSSIBLE_VALUE", 3L)
        .containsEntry("MALFORMED_RECORD", 4L).containsEntry("UNMAPPED_DEVICE", 1L).containsEntry("SLEEP_OVER_24H", 2L)
        .containsEntry("UNKNOWN_METRIC", 1L).containsEntry("UNKNOWN_UNIT", 1L).containsEntry("HEADER_MISMATCH", 1L);
    assertThat(r.unmappedDevices()).isEqualTo(1);

    Dataset<Row> q = lakehouse.read(SparkExtension.spark(), WearableMeasurementSchema.QUARANTINE);
    assertThat(q.count()).isEqualTo(r.quarantined());
    Row zero = q.filter(col(QuarantineSchema.SOURCE_FILE).equalTo(hr.toString()).and(col(QuarantineSchema.RAW).endsWith(",0"))).head();
    assertThat(zero.<String>getAs(QuarantineSchema.REASON_CODE)).isEqualTo("IMPOSSIBLE_VALUE");
    assertThat(zero.<String>getAs(QuarantineSchema.REASON)).contains("25-250 bpm");
    // the byte offset of the line in its file
    assertThat(zero.<Long>getAs(QuarantineSchema.SOURCE_POSITION)).isEqualTo((header + "\r\n" + good + "\r\n" + noSuchDay + "\r\n").length());
    assertThat(q.filter(col(QuarantineSchema.REASON_CODE).equalTo("SLEEP_OVER_24H")).count()).isEqualTo(2);
    assertThat(q.filter(col(QuarantineSchema.REASON).contains("names several measures [heart_rate, step_count]")).count()).isEqualTo(1);

    assertThatThrownBy(() -> WearableIngestJob.plan(dir.resolve("nowhere")))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("Cannot read wearable input")
        .extracting(e -> ((CareLakeException) e).kind()).isEqualTo(CareLakeException.Kind.BAD_INPUT);
    Path badDevices = devices("1001,p1,Mars/Olympus");
    assertThatThrownBy(() -> job(lakehouse).execute(WearableIngestJob.plan(in), badDevices, null, false))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("line 2").hasMessageContaining("unknown time zone");
  }

  @Test
  void rerunsOverlapsLateDataAndLateMappingsChangeOnlyWhatTheyShould() throws IOException {
    Path in = dir.resolve("inc");
    StringBuilder minutes = new StringBuilder("Id,ActivityMinute,Steps");
    for (int day = 1; day <= 3; day++) {
      for (int m = 0; m < 10; m++) {
        minutes.append("\r\n1001,5/").append(day).append("/2016 9:0").append(m).append(":00 AM,").append(10 * day + m);
      }
    }
    Files.createDirectories(in);
    Files.writeString(in.resolve("a_minuteStepsNarrow_merged.csv"), minutes + "\r\n");
    write(in, "b_hr.csv", "Id,Time,Value", "3003,5/1/2016 9:00:00 AM,61");
    Path devices = devices("1001,p1,America/Chicago");
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh-inc"));
    SparkSession spark = SparkExtension.spark();

    WearableIngestResult first = job(lakehouse).execute(WearableIngestJob.plan(in), devices, null, false);
    assertThat(first.written()).isEqualTo(30);
    assertThat(first.daysUpdated()).isEqualTo(3);
    assertThat(first.quarantinedByReason()).containsEntry("UNMAPPED_DEVICE", 1L);
    long silverVersion = lakehouse.version(spark, WearableMeasurementSchema.TABLE).orElseThrow();
    // units are the metric's, named in the column's comment (DESCRIBE TABLE shows it), not repeated on every row
    assertThat(lakehouse.read(spark, WearableMeasurementSchema.TABLE).schema().apply(WearableMeasurementSchema.METRIC).getComment().get())
        .contains("heart_rate (bpm)", "steps (steps)", "active_minutes (min)", "sleep (min)", "body_weight (kg)");
    long goldVersion = lakehouse.version(spark, WearableDailySchema.TABLE).orElseThrow();
    List<Row> goldBefore = lakehouse.read(spark, WearableDailySchema.TABLE).orderBy("day").collectAsList();

    // the same files again: skipped by the manifest; forced: read, nothing changes
    WearableIngestResult again = job(lakehouse).execute(WearableIngestJob.plan(in), devices, null, false);
    assertThat(again.files()).isZero();
    assertThat(again.skippedFiles()).isEqualTo(2);
    WearableIngestResult forced = job(lakehouse).execute(WearableIngestJob.plan(in), devices, null, true);
    assertThat(forced.unchanged()).isEqualTo(30);
    assertThat(forced.written()).isZero();
    assertThat(lakehouse.version(spark, WearableMeasurementSchema.TABLE)).contains(silverVersion);
    assertThat(lakehouse.version(spark, WearableDailySchema.TABLE)).contains(goldVersion);
    // the files' lineage names the run that first read their content; the forced re-read of the same content keeps it
    assertThat(sourceFiles(lakehouse, in)).containsExactly("a_minuteStepsNarrow_merged.csv fitabase-minute-steps-narrow " + first.runId(),
        "b_hr.csv fitabase-heartrate-seconds " + first.runId());

    // an overlapping export (day 3 again, same values) plus late minutes for day 2 only
    StringBuilder late = new StringBuilder("Id,ActivityHour");
    for (int m = 0; m < 60; m++) {
      late.append(String.format(",Steps%02d", m));
    }
    late.append("\r\n1001,5/2/2016 10:00:00 AM");
    for (int m = 0; m < 60; m++) {
      late.append(",1");
    }
    Files.writeString(in.resolve("c_minuteStepsWide_merged.csv"), late + "\r\n");
    StringBuilder overlap = new StringBuilder("Id,ActivityMinute,Steps");
    for (int m = 0; m < 10; m++) {
      overlap.append("\r\n1001,5/3/2016 9:0").append(m).append(":00 AM,").append(30 + m);
    }
    Files.writeString(in.resolve("d_overlap.csv"), overlap + "\r\n");
    WearableIngestResult third = job(lakehouse).execute(WearableIngestJob.plan(in), devices, null, false);
    assertThat(third.files()).isEqualTo(2);
    assertThat(third.written()).isEqualTo(60);
    assertThat(third.unchanged()).isEqualTo(10);
    assertThat(third.daysUpdated()).isEqualTo(1);
    assertThat(sourceFiles(lakehouse, in)).containsExactly("a_minuteStepsNarrow_merged.csv fitabase-minute-steps-narrow " + first.runId(),
        "b_hr.csv fitabase-heartrate-seconds " + first.runId(), "c_minuteStepsWide_merged.csv fitabase-minute-steps-wide " + third.runId(),
        "d_overlap.csv fitabase-minute-steps-narrow " + third.runId());
    TableWrite gold = third.writes().stream().filter(w -> w.table().equals(WearableDailySchema.TABLE)).findFirst().orElseThrow();
    assertThat(gold.updated()).isEqualTo(1);
    assertThat(gold.inserted()).isZero();
    List<Row> goldAfter = lakehouse.read(spark, WearableDailySchema.TABLE).orderBy("day").collectAsList();
    assertThat(goldAfter.get(0)).isEqualTo(goldBefore.get(0));
    assertThat(goldAfter.get(2)).isEqualTo(goldBefore.get(2));
    assertThat(goldAfter.get(1).<Double>getAs(WearableDailySchema.STEPS)).isEqualTo(goldBefore.get(1).<Double>getAs("steps") + 60);

    // a corrected value for one minute replaces the stored one
    Files.writeString(in.resolve("e_fix.csv"), "Id,ActivityMinute,Steps\r\n1001,5/1/2016 9:00:00 AM,99\r\n");
    WearableIngestResult fix = job(lakehouse).execute(WearableIngestJob.plan(in), devices, null, false);
    assertThat(fix.written()).isEqualTo(1);
    assertThat(dailyByDay(lakehouse, "p1").get("2016-05-01").<Double>getAs("steps")).isEqualTo(goldBefore.get(0).<Double>getAs("steps") + 89);

    // the unmapped device is mapped: every file is read again, its record leaves the quarantine
    Path mapped = devices("1001,p1,America/Chicago", "3003,p3,America/Chicago");
    WearableIngestResult remapped = job(lakehouse).execute(WearableIngestJob.plan(in), mapped, null, false);
    assertThat(remapped.files()).isEqualTo(5);
    assertThat(remapped.written()).isEqualTo(1);
    assertThat(lakehouse.read(spark, WearableMeasurementSchema.QUARANTINE).count()).isZero();
    assertThat(dailyByDay(lakehouse, "p3").get("2016-05-01").<Double>getAs(WearableDailySchema.MEAN_HEART_RATE)).isEqualTo(61.0);

    // a full rebuild from silver gives the table the incremental path built
    List<Row> incremental = lakehouse.read(spark, WearableDailySchema.TABLE).orderBy("patient_key", "day").collectAsList();
    TableWrite rebuilt = job(lakehouse).rebuildDaily();
    assertThat(rebuilt.changed()).isFalse();
    assertThat(lakehouse.read(spark, WearableDailySchema.TABLE).orderBy("patient_key", "day").collectAsList()).isEqualTo(incremental);
  }

  @Test
  void repeatsWithinOneRunAreStoredOnceWhetherInOneFileOrInOverlappingExports() throws IOException {
    Path in = dir.resolve("repeats");
    // a: minutes 9:00-9:04 in order; b: an overlapping export of 9:03-9:06; c: a file that repeats its own line
    write(in, "a_minuteStepsNarrow_merged.csv", "Id,ActivityMinute,Steps", "1001,5/1/2016 9:00:00 AM,1", "1001,5/1/2016 9:01:00 AM,2",
        "1001,5/1/2016 9:02:00 AM,3", "1001,5/1/2016 9:03:00 AM,4", "1001,5/1/2016 9:04:00 AM,5");
    write(in, "b_minuteStepsNarrow_merged.csv", "Id,ActivityMinute,Steps", "1001,5/1/2016 9:03:00 AM,4", "1001,5/1/2016 9:04:00 AM,50",
        "1001,5/1/2016 9:05:00 AM,6", "1001,5/1/2016 9:06:00 AM,7");
    write(in, "c_minuteStepsNarrow_merged.csv", "Id,ActivityMinute,Steps", "2002,5/1/2016 9:00:00 AM,1", "2002,5/1/2016 9:00:00 AM,1",
        "2002,5/1/2016 9:01:00 AM,2");
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh-repeats"));
    WearableIngestResult r = job(lakehouse).execute(WearableIngestJob.plan(in), devices("1001,p1,America/Chicago", "2002,p2,America/Chicago"),
        null, false);
    assertThat(r.measurements()).isEqualTo(12);
    assertThat(r.duplicates()).isEqualTo(3);
    assertThat(r.written()).isEqualTo(9);
    assertThat(r.reconciles()).isTrue();
    assertThat(lakehouse.read(SparkExtension.spark(), WearableMeasurementSchema.TABLE).count()).isEqualTo(9);
    // the later file's value wins: 1 + 2 + 3 + 4 + 50 + 6 + 7
    assertThat(dailyByDay(lakehouse, "p1").get("2016-05-01").<Double>getAs(WearableDailySchema.STEPS)).isEqualTo(73.0);
    assertThat(dailyByDay(lakehouse, "p2").get("2016-05-01").<Double>getAs(WearableDailySchema.STEPS)).isEqualTo(3.0);
  }

  @Test
  void aFailedRunLeavesEveryTableAtItsLastGoodVersion() throws IOException {
    Path in = dir.resolve("fail");
    write(in, "minuteStepsNarrow_merged.csv", "Id,ActivityMinute,Steps", "1001,5/1/2016 9:00:00 AM,5");
    Path devices = devices("1001,p1,America/Chicago");
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh-fail"));
    job(lakehouse).execute(WearableIngestJob.plan(in), devices, null, false);
    SparkSession spark = SparkExtension.spark();
    Map<String, List<String>> before = contents(lakehouse);
    write(in, "more.csv", "Id,ActivityMinute,Steps", "1001,5/2/2016 9:00:00 AM,5");
    // the gold table is made unwritable mid-run: its directory becomes a plain file
    Path gold = lakehouse.tablePath(WearableDailySchema.TABLE);
    Path aside = dir.resolve("gold-aside");
    Files.move(gold, aside);
    Files.writeString(gold, "not a table");
    try {
      assertThatThrownBy(() -> job(lakehouse).execute(WearableIngestJob.plan(in), devices, null, false)).isInstanceOf(Exception.class);
    } finally {
      Files.delete(gold);
      Files.move(aside, gold);
    }
    // restored (Delta RESTORE commits the old content as a new version)
    assertThat(lakehouse.tables()).hasSize(before.size());
    assertThat(contents(lakehouse)).isEqualTo(before);
  }

  @Test
  void theStartDatePartitionIsTheUtcDateWhateverTheSessionZone() {
    SparkSession spark = SparkExtension.spark();
    List<String> instants = List.of("1969-12-31T23:59:59.999999Z", "1970-01-01T00:00:00Z", "1900-01-01T00:00:00.000001Z",
        "2016-03-13T07:59:59Z", "2016-03-13T08:00:00Z", "2016-11-06T23:59:59.999999Z", "2099-12-31T23:59:59Z");
    List<Row> rows = instants.stream().map(i -> org.apache.spark.sql.RowFactory.create(Timestamp.from(Instant.parse(i)))).toList();
    Dataset<Row> times = spark.createDataFrame(rows, new org.apache.spark.sql.types.StructType().add("t", "timestamp"));
    String zone = spark.conf().get("spark.sql.session.timeZone");
    try {
      spark.conf().set("spark.sql.session.timeZone", "America/Chicago");
      List<LocalDate> dates = times.select(WearableIngestJob.utcDate("t")).collectAsList().stream()
          .map(r -> r.getDate(0).toLocalDate()).toList();
      assertThat(dates).containsExactlyElementsOf(instants.stream()
          .map(i -> Instant.parse(i).atZone(java.time.ZoneOffset.UTC).toLocalDate()).toList());
    } finally {
      spark.conf().set("spark.sql.session.timeZone", zone);
    }
  }

  @Test
  void silverOfAnEarlierLayoutIsABadInputErrorAndTheFixItNamesWorks() throws IOException {
    Path in = dir.resolve("layout");
    write(in, "minuteStepsNarrow_merged.csv", "Id,ActivityMinute,Steps", "1001,5/1/2016 9:00:00 AM,5");
    Path devices = devices("1001,p1,America/Chicago");
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh-layout"));
    job(lakehouse).execute(WearableIngestJob.plan(in), devices, null, false);
    // As releases before the unit moved into the metric vocabulary wrote it: a unit on every row.
    SparkSession spark = SparkExtension.spark();
    Path silver = lakehouse.tablePath(WearableMeasurementSchema.TABLE);
    lakehouse.read(spark, WearableMeasurementSchema.TABLE).withColumn("unit", lit("steps")).localCheckpoint()
        .write().format("delta").mode("overwrite").option("overwriteSchema", "true").save(silver.toString());
    Map<String, List<String>> before = contents(lakehouse);
    write(in, "more.csv", "Id,ActivityMinute,Steps", "1001,5/2/2016 9:00:00 AM,7");

    assertThatThrownBy(() -> job(lakehouse).execute(WearableIngestJob.plan(in), devices, null, false))
        .isInstanceOfSatisfying(CareLakeException.class, e -> {
          assertThat(e.kind()).isEqualTo(CareLakeException.Kind.BAD_INPUT);
          assertThat(e.problem()).contains("silver.wearable_measurement", silver.toString(), "has unit, which this release does not write");
        });
    assertThat(contents(lakehouse)).as("every table unchanged").isEqualTo(before);

    // The fix the message gives: the old table moved out of the lakehouse, the ingest run again with --force.
    Files.move(silver, dir.resolve("wearable_measurement-old-layout"));
    WearableIngestResult again = job(lakehouse).execute(WearableIngestJob.plan(in), devices, null, true);
    assertThat(again.measurements()).isEqualTo(2);
    assertThat(lakehouse.read(spark, WearableMeasurementSchema.TABLE).columns()).doesNotContain("unit");
    assertThat(dailyByDay(lakehouse, "p1")).containsOnlyKeys("2016-05-01", "2016-05-02");
    assertThat(dailyByDay(lakehouse, "p1").get("2016-05-02").<Double>getAs(WearableDailySchema.STEPS)).isEqualTo(7.0);
  }

  @Test
  void aTruncatedGzipFileIsABadInputErrorNamingItAndNothingIsCommitted() throws IOException {
    Path devices = devices("1001,p1,America/Chicago");
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh-gz"));
    job(lakehouse).execute(WearableIngestJob.plan(write(dir.resolve("gz-good"), "minuteStepsNarrow_merged.csv", "Id,ActivityMinute,Steps",
        "1001,5/1/2016 9:00:00 AM,5")), devices, null, false);
    Map<String, List<String>> before = contents(lakehouse);
    StringBuilder csv = new StringBuilder("Id,Time,Value\r\n");
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < 5_000; i++) {
      csv.append("1001,5/2/2016 ").append(1 + i / 3600 % 12).append(':').append(String.format("%02d:%02d", i / 60 % 60, i % 60))
          .append(" AM,").append(60 + i % 37).append("\r\n");
      json.append(i == 0 ? "" : ",").append("{\"header\":{\"user_id\":\"1001\",\"schema_id\":{\"namespace\":\"omh\",")
          .append("\"name\":\"heart-rate\",\"version\":\"1.0\"}},\"body\":{\"heart_rate\":{\"value\":").append(60 + i % 37)
          .append(",\"unit\":\"beats/min\"},\"effective_time_frame\":{\"date_time\":\"2016-05-02T10:").append(String.format("%02d:%02d", i / 60 % 60, i % 60))
          .append("Z\"}}}");
    }
    json.append("]");
    Map<String, String> files = Map.of("heartrate_seconds_merged.csv.gz", csv.toString(), "heart-rate.json.gz", json.toString());
    for (var file : files.entrySet()) {
      Path in = Files.createDirectories(dir.resolve("gz-bad-" + file.getKey()));
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      try (var out = new java.util.zip.GZIPOutputStream(bytes)) {
        out.write(file.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      Path cut = in.resolve(file.getKey());
      Files.write(cut, java.util.Arrays.copyOf(bytes.toByteArray(), bytes.size() / 2));
      write(in, "minuteStepsNarrow_merged.csv", "Id,ActivityMinute,Steps", "1001,5/3/2016 9:00:00 AM,5"); // readable, not committed either
      assertThatThrownBy(() -> job(lakehouse).execute(WearableIngestJob.plan(in), devices, null, false))
          .isInstanceOf(CareLakeException.class).hasMessageContaining(cut.toString()).hasMessageContaining("truncated or corrupt")
          .hasMessageContaining("nothing was committed")
          .extracting(e -> ((CareLakeException) e).kind()).isEqualTo(CareLakeException.Kind.BAD_INPUT);
      assertThat(contents(lakehouse)).as(file.getKey()).isEqualTo(before);
    }
  }

  /** Every table's contents, by qualified name. */
  private static Map<String, List<String>> contents(Lakehouse lakehouse) {
    Map<String, List<String>> all = new HashMap<>();
    for (var t : lakehouse.tables()) {
      all.put(t.qualifiedName(), contents(lakehouse, t));
    }
    return all;
  }

  private static List<String> contents(Lakehouse lakehouse, org.carelake.core.TableId table) {
    return lakehouse.read(SparkExtension.spark(), table).collectAsList().stream().map(Row::toString).sorted().toList();
  }

  /** silver.wearable_source_file as "file format run", file names relative to {@code in}, in file order. */
  private static List<String> sourceFiles(Lakehouse lakehouse, Path in) {
    return lakehouse.read(SparkExtension.spark(), WearableMeasurementSchema.SOURCE_FILES).orderBy(WearableMeasurementSchema.SOURCE_FILE)
        .collectAsList().stream().map(r -> in.relativize(Path.of(r.<String>getAs(WearableMeasurementSchema.SOURCE_FILE))) + " "
            + r.getAs(WearableMeasurementSchema.SOURCE_FORMAT) + " " + r.getAs(WearableMeasurementSchema.INGEST_RUN_ID)).toList();
  }
}
