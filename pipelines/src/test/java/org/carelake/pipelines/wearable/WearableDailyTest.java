package org.carelake.pipelines.wearable;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.schema.WearableMeasurementSchema;
import org.carelake.core.schema.WearableMeasurementSchema.Metric;
import org.carelake.core.spark.SparkSessions;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daily rows from a plain scan of stored measurements (runs of column batches, hashed keys;
 * {@link MeasurementRuns}) are those of the plain aggregation of the same rows, and the scan path
 * steps aside whenever it cannot be exact.
 */
class WearableDailyTest {

  private static final ZoneId CHICAGO = ZoneId.of("America/Chicago");
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  private static final ZoneId KOLKATA = ZoneId.of("Asia/Kolkata");
  private static final LocalDate FIRST = LocalDate.of(2024, 3, 9); // Chicago's clock change is on the 10th

  @TempDir
  static Path dir;
  private static Dataset<Row> stored;

  /** A 64-character pseudonym, like silver's. */
  private static String key(String name) {
    return String.format("%064x", new java.math.BigInteger(1, name.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  private static Row row(String patient, String device, Metric metric, Instant start, long seconds, double value, ZoneId zone) {
    LocalDate day = start.atZone(zone).toLocalDate();
    return RowFactory.create(key(patient), key(device), metric.id(), Timestamp.from(start), Timestamp.from(start.plusSeconds(seconds)),
        value, Date.valueOf(day), zone.getId(), null, "test.csv", 0L, Date.valueOf(start.atZone(ZoneId.of("UTC")).toLocalDate()));
  }

  /** One device's day: heart rate every 20 s over a few hours with a gap, minute steps, the day's step total, a night, a weight. */
  private static List<Row> deviceDay(String patient, String device, ZoneId zone, LocalDate day, Random random) {
    List<Row> rows = new ArrayList<>();
    Instant midnight = day.atStartOfDay(zone).toInstant();
    for (int s = 6 * 3600; s < 11 * 3600; s += 20) {
      if (s < 8 * 3600 || s > 8 * 3600 + 1200) {
        rows.add(row(patient, device, Metric.HEART_RATE, midnight.plusSeconds(s), 0, 55 + random.nextInt(70), zone));
      }
    }
    double total = 0;
    for (int m = 7 * 60; m < 9 * 60; m++) {
      double steps = random.nextInt(4) == 0 ? 0 : random.nextInt(120);
      total += steps;
      rows.add(row(patient, device, Metric.STEPS, midnight.plusSeconds(m * 60L), 60, steps, zone));
    }
    rows.add(row(patient, device, Metric.STEPS, midnight, 86_400, total + random.nextInt(500), zone));
    rows.add(row(patient, device, Metric.ACTIVE_MINUTES, midnight.plusSeconds(7 * 3600), 3600, random.nextInt(40), zone));
    for (int m = 0; m < 300; m += 1 + random.nextInt(3)) {
      rows.add(row(patient, device, Metric.SLEEP, midnight.plusSeconds(m * 60L), 60, 1, zone));
    }
    rows.add(row(patient, device, Metric.BODY_WEIGHT, midnight.plusSeconds(7 * 3600 + 123), 0, 60 + random.nextInt(40), zone));
    return rows;
  }

  /**
   * Three appends (files) of measurements: six patients; patient 1 wears two devices set to
   * different zones; patient 6 wears a second device on the first day, measuring the same minutes
   * (a minute counts once); device 2 moves to patient 6 on the third day; the second append repeats
   * minutes of the first (groups split across files) with its string columns stored without
   * dictionaries; the third is in random order.
   */
  @BeforeAll
  static void store() {
    SparkSession spark = SparkExtension.spark();
    Random random = new Random(7);
    List<Row> first = new ArrayList<>();
    List<Row> second = new ArrayList<>();
    List<Row> third = new ArrayList<>();
    for (int d = 0; d < 3; d++) {
      LocalDate day = FIRST.plusDays(d);
      for (int p = 1; p <= 5; p++) {
        String patient = d == 2 && p == 2 ? "patient-6" : "patient-" + p;
        List<Row> rows = deviceDay(patient, "device-" + p, CHICAGO, day, random);
        (d == 0 ? first : d == 1 ? second : third).addAll(rows);
      }
      (d == 1 ? second : first).addAll(deviceDay("patient-1", "device-6", BERLIN, day, random));
      third.addAll(deviceDay("patient-6", "device-7", KOLKATA, day, random));
    }
    first.addAll(deviceDay("patient-6", "device-8", KOLKATA, FIRST, random));
    // Repeated minutes of day 1 in another file (other seconds of the same minutes).
    for (Row r : deviceDay("patient-3", "device-3", CHICAGO, FIRST, new Random(11))) {
      if (r.getString(2).equals(Metric.HEART_RATE.id())) {
        Timestamp start = r.getTimestamp(3);
        second.add(row("patient-3", "device-3", Metric.HEART_RATE, start.toInstant().plusSeconds(7), 0, r.getDouble(5) + 1, CHICAGO));
      }
    }
    Collections.shuffle(third, random);
    String path = dir.resolve("measurements").toString();
    spark.createDataFrame(first, WearableMeasurementSchema.SCHEMA).coalesce(1).write().format("delta").save(path);
    try (var p = SparkSessions.set(spark, "parquet.enable.dictionary#" + WearableMeasurementSchema.PATIENT_KEY, "false");
        var d = SparkSessions.set(spark, "parquet.enable.dictionary#" + WearableMeasurementSchema.DEVICE_KEY, "false");
        var z = SparkSessions.set(spark, "parquet.enable.dictionary#" + WearableMeasurementSchema.TIME_ZONE, "false")) {
      spark.createDataFrame(second, WearableMeasurementSchema.SCHEMA).coalesce(1).write().format("delta").mode("append").save(path);
    }
    spark.createDataFrame(third, WearableMeasurementSchema.SCHEMA).coalesce(2).write().format("delta").mode("append").save(path);
    stored = spark.read().format("delta").load(path);
  }

  /** The same rows through a filter that keeps them all: not a plain scan, so the plain aggregation. */
  private static Dataset<Row> notAPlainScan() {
    return stored.filter(col(WearableMeasurementSchema.VALUE).isNotNull());
  }

  private static List<Row> sorted(Dataset<Row> daily) {
    return daily.orderBy(WearableMeasurementSchema.PATIENT_KEY, "day").collectAsList();
  }

  @Test
  void aPlainScanGivesThePlainAggregationsDaysAcrossBatchesFilesAndEncodings() {
    SparkSession spark = SparkExtension.spark();
    assertThat(MeasurementRuns.of(notAPlainScan(), -1L)).as("a filtered read takes the plain aggregation").isEmpty();
    List<Row> expected = sorted(WearableDaily.compute(notAPlainScan()));
    // Patients 1, 3, 4, 5 and 6 on three days, patient 2 on two: on the third, device 2 counts for patient 6, whose
    // day it shares with device 7 (Chicago and Kolkata).
    assertThat(expected).hasSize(17);

    // Small column batches: runs cross batch boundaries, where keys are compared by bytes, not dictionary ids.
    for (String batch : List.of("4096", "7")) {
      try (var size = SparkSessions.set(spark, "spark.sql.parquet.columnarReaderBatchSize", batch)) {
        assertThat(MeasurementRuns.of(stored, -1L)).as("a plain scan takes the runs").isPresent();
        assertThat(sorted(WearableDaily.compute(stored))).as("batch size " + batch).isEqualTo(expected);
      }
    }
    // Patient 1 wore a device set to Berlin and one set to Chicago: the day is Chicago's (the zone first by name) on either path.
    Row patient1 = expected.stream().filter(r -> r.getString(0).equals(key("patient-1"))).findFirst().orElseThrow();
    assertThat(patient1.getTimestamp(patient1.fieldIndex("day_end")).toInstant()).isEqualTo(FIRST.plusDays(1).atStartOfDay(CHICAGO).toInstant());
  }

  @Test
  void collidingHashesOrTooManyIdentitiesFallBackToThePlainAggregation() {
    List<Row> expected = sorted(WearableDaily.compute(notAPlainScan()));
    // One bit of hash: six patients and seven devices must share values.
    assertThat(MeasurementRuns.of(stored, 1L)).isEmpty();
    assertThat(sorted(WearableDaily.compute(stored, 1L))).isEqualTo(expected);
    assertThat(MeasurementRuns.of(stored, -1L, 3)).as("more identities than the driver takes").isEmpty();
    assertThat(MeasurementRuns.of(stored, -1L, MeasurementRuns.MAX_IDENTITIES)).isPresent();
  }

  /**
   * With every hash 0, two patients collide; whether they meet in one scan task (which reports
   * itself unusable) or in two (each consistent alone, the driver sees the clash), the runs step
   * aside. Devices and zones are shared, so only the patients collide.
   */
  @Test
  void aCollisionWithinOneTaskOrAcrossTasksIsFound() {
    SparkSession spark = SparkExtension.spark();
    Random random = new Random(3);
    List<Row> one = deviceDay("patient-a", "device-a", CHICAGO, FIRST, random);
    List<Row> other = deviceDay("patient-b", "device-a", CHICAGO, FIRST.plusDays(1), random);
    String path = dir.resolve("two-patients").toString();
    spark.createDataFrame(one, WearableMeasurementSchema.SCHEMA).coalesce(1).write().format("delta").save(path);
    spark.createDataFrame(other, WearableMeasurementSchema.SCHEMA).coalesce(1).write().format("delta").mode("append").save(path);
    Dataset<Row> twoFiles = spark.read().format("delta").load(path);
    List<Row> expected = sorted(WearableDaily.compute(twoFiles.filter(col(WearableMeasurementSchema.VALUE).isNotNull())));
    assertThat(expected).hasSize(2);
    // Small files share a task unless opening one costs more than a task reads.
    try (var open = SparkSessions.set(spark, "spark.sql.files.openCostInBytes", String.valueOf(1L << 30))) {
      Dataset<Row> apart = spark.read().format("delta").load(path);
      assertThat(apart.rdd().getNumPartitions()).as("one task per file").isEqualTo(2);
      assertThat(MeasurementRuns.of(apart, -1L)).as("whole hashes").isPresent();
      assertThat(MeasurementRuns.of(apart, 0L)).as("patients in two tasks").isEmpty();
      assertThat(sorted(WearableDaily.compute(apart, 0L))).isEqualTo(expected);
    }
    List<Row> both = new ArrayList<>(one);
    both.addAll(other);
    String onePath = dir.resolve("two-patients-one-file").toString();
    spark.createDataFrame(both, WearableMeasurementSchema.SCHEMA).coalesce(1).write().format("delta").save(onePath);
    Dataset<Row> together = spark.read().format("delta").load(onePath);
    assertThat(together.rdd().getNumPartitions()).as("one task").isEqualTo(1);
    assertThat(MeasurementRuns.of(together, -1L)).as("whole hashes").isPresent();
    assertThat(MeasurementRuns.of(together, 0L)).as("patients in one task").isEmpty();
    assertThat(sorted(WearableDaily.compute(together, 0L))).isEqualTo(expected);
  }

  /**
   * An ingest's own rows, keyed by device and given the device map's patients and zones, give the
   * plain aggregation's days (device 2's third day, under another patient, is left out: a map
   * gives a device one patient).
   */
  @Test
  void theIngestsDeviceKeyedPathGivesThePlainAggregationsDays() {
    Dataset<Row> mapped = stored.filter(col(WearableMeasurementSchema.DEVICE_KEY).notEqual(key("device-2"))
        .or(col(WearableMeasurementSchema.PATIENT_KEY).equalTo(key("patient-2"))));
    List<Row> expected = sorted(WearableDaily.compute(mapped));
    List<DeviceMap.Device> devices = new ArrayList<>();
    for (int p = 1; p <= 5; p++) {
      devices.add(new DeviceMap.Device(key("device-" + p), key("patient-" + p), CHICAGO.getId()));
    }
    devices.add(new DeviceMap.Device(key("device-6"), key("patient-1"), BERLIN.getId()));
    devices.add(new DeviceMap.Device(key("device-7"), key("patient-6"), KOLKATA.getId()));
    devices.add(new DeviceMap.Device(key("device-8"), key("patient-6"), KOLKATA.getId()));
    assertThat(expected).hasSize(17);
    assertThat(sorted(WearableDaily.compute(mapped, devices))).isEqualTo(expected);
  }

  /**
   * The resting estimate computed by our own code is Spark's exact {@code percentile} to the last
   * bit (the daily table rounds it, which would hide a small difference): sizes from 1 (no
   * interpolation) up, with repeated values (interpolation between equal neighbours).
   */
  @Test
  void restingPercentileIsSparksBitForBit() {
    SparkSession spark = SparkExtension.spark();
    Random random = new Random(5);
    List<Row> rows = new ArrayList<>();
    java.util.Map<Integer, double[]> groups = new java.util.TreeMap<>();
    for (int g = 0; g < 60; g++) {
      double[] values = new double[1 + g % 23];
      for (int i = 0; i < values.length; i++) {
        values[i] = g % 3 == 0 ? 60 + random.nextInt(4) : (55 + random.nextInt(70)) / (1.0 + random.nextInt(12));
        rows.add(RowFactory.create(g, values[i]));
      }
      groups.put(g, values);
    }
    org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
        .add("g", org.apache.spark.sql.types.DataTypes.IntegerType).add("v", org.apache.spark.sql.types.DataTypes.DoubleType);
    List<Row> spark10 = spark.createDataFrame(rows, schema).groupBy("g").agg(org.apache.spark.sql.functions.expr("percentile(v, 0.1)"))
        .orderBy("g").collectAsList();
    assertThat(spark10).hasSize(groups.size());
    for (Row r : spark10) {
      assertThat(RunDays.percentile(groups.get(r.getInt(0)).clone(), 0.1)).as("group " + r.getInt(0)).isEqualTo(r.getDouble(1));
    }
  }

  @Test
  void granularityMinuteMetricCodeAndHashInJavaAreThoseOfTheColumnExpressions() {
    SparkSession spark = SparkExtension.spark();
    long[][] spans = {{0, 0}, {0, 60_000_000L}, {0, 60_999_999L}, {0, 61_000_000L}, {-1, 59_999_999L}, {-1, 60_000_000L},
        {-90_000_001L, 3_509_999_999L}, {0, 3_600_000_000L}, {0, 3_601_000_000L}, {1_700_000_000_123_456L, 1_700_000_086_400_000_000L},
        {-60_000_001L, -60_000_001L}, {-59_999_999L, -59_999_999L}, {119_999_999L, 119_999_999L}};
    List<Row> rows = new ArrayList<>();
    for (long[] span : spans) {
      rows.add(RowFactory.create(span[0], span[1]));
    }
    var schema = new org.apache.spark.sql.types.StructType().add("s", "long").add("e", "long");
    List<Row> evaluated = spark.createDataFrame(rows, schema)
        .select(col("s"), col("e"), org.apache.spark.sql.functions.timestamp_micros(col("s")).as(WearableMeasurementSchema.START_TIME),
            org.apache.spark.sql.functions.timestamp_micros(col("e")).as(WearableMeasurementSchema.END_TIME),
            org.apache.spark.sql.functions.lit(Metric.HEART_RATE.id()).as(WearableMeasurementSchema.METRIC))
        .select(col("s"), col("e"), WearableDaily.granularity().as("g"), WearableDaily.minute().as("minute"))
        .collectAsList();
    for (Row r : evaluated) {
      assertThat(WearableDaily.granularity(r.getLong(0), r.getLong(1))).as("granularity of %s", r).isEqualTo(r.getByte(2));
      assertThat(WearableDaily.minute(r.getLong(0))).as("minute of %s", r).isEqualTo(r.getLong(3));
    }

    // The ingest keys its measurements by Spark's xxhash64 of the device and its device map by MeasurementRuns.hash.
    List<Row> strings = new ArrayList<>();
    for (String text : List.of("", "a", key("device-1"), "America/Chicago", "Zürich ☃ 東京")) {
      strings.add(RowFactory.create(text));
    }
    List<Row> hashed = spark.createDataFrame(strings, new org.apache.spark.sql.types.StructType().add("t", "string"))
        .select(col("t"), org.apache.spark.sql.functions.xxhash64(col("t"))).collectAsList();
    for (Row r : hashed) {
      assertThat(MeasurementRuns.hash(r.getString(0))).as("hash of %s", r.getString(0)).isEqualTo(r.getLong(1));
    }

    List<Row> names = new ArrayList<>();
    for (Metric m : Metric.values()) {
      names.add(RowFactory.create(m.id()));
    }
    names.add(RowFactory.create("blood_glucose"));
    List<Row> codes = spark.createDataFrame(names, new org.apache.spark.sql.types.StructType().add(WearableMeasurementSchema.METRIC, "string"))
        .select(col(WearableMeasurementSchema.METRIC), WearableDaily.metricCode()).collectAsList();
    assertThat(codes.stream().map(r -> r.getByte(1)).distinct()).as("one code per metric, one for the rest").hasSize(names.size());
    for (Row r : codes) {
      assertThat(WearableDaily.code(r.getString(0))).as("code of %s", r.getString(0)).isEqualTo(r.getByte(1));
    }
  }
}
