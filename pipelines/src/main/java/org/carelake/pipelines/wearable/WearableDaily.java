package org.carelake.pipelines.wearable;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.date_add;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_utc_timestamp;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.schema.WearableDailySchema;
import org.carelake.core.schema.WearableMeasurementSchema;
import org.carelake.core.schema.WearableMeasurementSchema.Metric;

/**
 * {@code gold.wearable_daily} from {@code silver.wearable_measurement}: one row per patient and
 * local calendar day.
 *
 * <ul>
 *   <li>Steps, active minutes and sleep add up within one device and one granularity (minute, hour,
 *       day); when a device exported the same day at several granularities (Fitabase ships daily,
 *       hourly and minute files), the most complete account, the largest total, counts, since a
 *       finer export can be cut short but never exceeds the device's own total. With several
 *       devices, the largest device total counts (a phone and a watch count the same steps).
 *   <li>Heart rate: mean and maximum over every sample; the resting estimate is the 10th
 *       percentile of the day's minute means (per device) (from 60 minutes with data on; else null).
 *   <li>Coverage: the share of the day's minutes (1,380 or 1,500 on days of a clock change) with
 *       at least one heart-rate sample.
 *   <li>Weight: the mean of the day's readings.
 * </ul>
 * Values are rounded to two decimals, so recomputing a day gives the same row bit for bit.
 */
public final class WearableDaily {

  /** Resting heart rate needs at least this many minutes with heart-rate data on the day. */
  public static final int MIN_MINUTES_FOR_RESTING = 60;

  private static final String P = WearableMeasurementSchema.PATIENT_KEY;
  private static final String DAY = WearableMeasurementSchema.LOCAL_DAY;

  private WearableDaily() {}

  /**
   * The daily rows of every (patient, local day) present in {@code measurements}: one scan and two
   * aggregations (per device, metric, granularity and, for heart rate, minute; then per day). When
   * {@code measurements} is a plain read of a table (the rebuild's read of silver), the
   * aggregations start from runs of the scan's column batches keyed by hashes ({@link
   * MeasurementRuns}) and are done by our own code ({@link RunDays}), with the same result (this
   * call then runs the scan, to check the hashes before the plan is returned); any other plan (a
   * filter, a join) is aggregated row by row by Spark. A patient-day measured by devices set to
   * different zones is measured in the zone first by name.
   */
  public static Dataset<Row> compute(Dataset<Row> measurements) {
    return compute(measurements, -1L);
  }

  /** As {@link #compute(Dataset)}; a plain scan's hashes are cut to {@code hashMask}'s bits (tests force collisions with it). */
  static Dataset<Row> compute(Dataset<Row> measurements, long hashMask) {
    java.util.Optional<MeasurementRuns.Hashed> runs = MeasurementRuns.of(measurements, hashMask);
    if (runs.isEmpty()) {
      return days(measurements
          .groupBy(col(P), col(DAY), metricCode().as("m"), col(WearableMeasurementSchema.DEVICE_KEY).as("d"), granularity().as("g"),
              minute().as("minute"), col(WearableMeasurementSchema.TIME_ZONE).as("tz"))
          // The device's zone is a grouping key, not a min(): a string aggregate would force a sort-based aggregation.
          .agg(sum(WearableMeasurementSchema.VALUE).as("s"), count(lit(1)).as("n"), max(WearableMeasurementSchema.VALUE).as("mx")));
    }
    // A plain scan of stored measurements: from runs of its column batches, keyed by hashes; both aggregations in one pass
    // of our own per shuffle partition (RunDays); the patient's pseudonym joins the day rows.
    return daily(RunDays.of(runs.get().runs(), runs.get().zones()).join(broadcast(runs.get().patients()), "ph"));
  }

  /**
   * As {@link #compute(Dataset)}, for measurements whose patient and zone are those {@code devices}
   * gives their device (an ingest's own rows, which took both from its device map): the first
   * aggregation is keyed by a 64-bit hash of the device instead of three strings (two of them
   * 64-character pseudonyms); its 400,000-odd groups get the hashes of the device's patient and
   * zone from the map and go on as runs to {@link RunDays}. Exact: the hashes of the given devices,
   * of their patients and of their zones are checked to differ, else this falls back to {@link
   * #compute(Dataset)}; a measurement of a device not among them would be lost, so callers pass only
   * rows of the given devices.
   */
  public static Dataset<Row> compute(Dataset<Row> measurements, Collection<DeviceMap.Device> devices) {
    if (devices.isEmpty()) {
      return compute(measurements);
    }
    Map<Long, String> patients = new HashMap<>();
    Map<Long, String> zones = new HashMap<>();
    Set<Long> deviceHashes = new HashSet<>();
    List<Row> keys = new ArrayList<>();
    for (DeviceMap.Device device : devices) {
      // MeasurementRuns.hash is Spark's xxhash64 of the string (tested), the expression the measurements' device is keyed by below.
      long dh = MeasurementRuns.hash(device.deviceKey());
      long ph = MeasurementRuns.hash(device.patientKey());
      long zh = MeasurementRuns.hash(device.timeZone());
      String patientBefore = patients.putIfAbsent(ph, device.patientKey());
      String zoneBefore = zones.putIfAbsent(zh, device.timeZone());
      if (!deviceHashes.add(dh) || patientBefore != null && !patientBefore.equals(device.patientKey())
          || zoneBefore != null && !zoneBefore.equals(device.timeZone())) {
        return compute(measurements);
      }
      keys.add(RowFactory.create(dh, ph, zh));
    }
    SparkSession spark = measurements.sparkSession();
    Dataset<Row> byDevice = spark.createDataFrame(keys, new StructType().add("dh", DataTypes.LongType, false)
        .add("ph", DataTypes.LongType, false).add("zh", DataTypes.LongType, false));
    Dataset<Row> runs = measurements
        .groupBy(xxhash64(col(WearableMeasurementSchema.DEVICE_KEY)).as("dh"), col(DAY), metricCode().as("m"), granularity().as("g"),
            minute().as("minute"))
        .agg(sum(WearableMeasurementSchema.VALUE).as(MeasurementRuns.SUM), count(lit(1)).as(MeasurementRuns.COUNT),
            max(WearableMeasurementSchema.VALUE).as(MeasurementRuns.MAX))
        .join(broadcast(byDevice), "dh")
        .select(Arrays.stream(MeasurementRuns.SCHEMA.fieldNames()).map(c -> col(c)).toArray(Column[]::new));
    return daily(RunDays.of(runs, zones).join(broadcast(MeasurementRuns.dictionary(spark, patients, "ph", P)), "ph"));
  }

  private static Column metric() {
    return col(WearableMeasurementSchema.METRIC);
  }

  /**
   * The metric as a small number ({@link #code}; -1 for a name outside the vocabulary, which no
   * daily figure uses): a grouping key of numbers only is hashed and compared as one block.
   */
  static Column metricCode() {
    Column code = null;
    for (Metric m : Metric.values()) {
      code = code == null ? when(metric().equalTo(m.id()), lit(code(m))) : code.when(metric().equalTo(m.id()), lit(code(m)));
    }
    return code.otherwise(lit((byte) -1));
  }

  /** {@link #metricCode()} of one metric name. */
  static byte code(String metric) {
    return Metric.of(metric).map(WearableDaily::code).orElse((byte) -1);
  }

  static byte code(Metric metric) {
    return (byte) metric.ordinal();
  }

  private static Column is(Metric metric) {
    return col("m").equalTo(lit(code(metric)));
  }

  /** Small integers, not strings or truncated timestamps: cheaper to hash and compare as aggregation keys. */
  static Column granularity() {
    Column seconds = col(WearableMeasurementSchema.END_TIME).cast("long").minus(col(WearableMeasurementSchema.START_TIME).cast("long"));
    return when(seconds.leq(60), lit((byte) 0)).when(seconds.leq(3600), lit((byte) 1)).otherwise(lit((byte) 2));
  }

  /** {@link #granularity()} of one measurement, from its start and end in microseconds (for {@link MeasurementRuns}). */
  static byte granularity(long startMicros, long endMicros) {
    // Timestamp to long casts round down to whole seconds.
    long seconds = Math.floorDiv(endMicros, 1_000_000L) - Math.floorDiv(startMicros, 1_000_000L);
    return seconds <= 60 ? (byte) 0 : seconds <= 3600 ? (byte) 1 : (byte) 2;
  }

  static Column minute() {
    return when(metric().equalTo(Metric.HEART_RATE.id()), expr("unix_micros(" + WearableMeasurementSchema.START_TIME + ") div 60000000"));
  }

  /** {@link #minute()} of a heart-rate sample starting at {@code startMicros} ({@code div} truncates, like Java's {@code /}). */
  static long minute(long startMicros) {
    return startMicros / 60_000_000L;
  }

  /**
   * The daily rows from the first aggregation's groups (patient, day, metric m, minute, zone tz; s,
   * n, mx): per patient and day, the day's figures before rounding ({@link RunDays} computes the
   * same from runs), then {@link #daily}.
   */
  private static Dataset<Row> days(Dataset<Row> parts) {
    Column hr = is(Metric.HEART_RATE);
    Column weight = is(Metric.BODY_WEIGHT);
    return daily(parts.groupBy(P, DAY).agg(
        metricMax(Metric.STEPS).as(WearableDailySchema.STEPS),
        metricMax(Metric.ACTIVE_MINUTES).as(WearableDailySchema.ACTIVE_MINUTES),
        metricMax(Metric.SLEEP).as(WearableDailySchema.SLEEP_MINUTES),
        sum(when(hr, col("s"))).divide(sum(when(hr, col("n")))).as(WearableDailySchema.MEAN_HEART_RATE),
        max(when(hr, col("mx"))).as(WearableDailySchema.MAX_HEART_RATE),
        // The set of minutes, not countDistinct: a distinct aggregate beside the others doubles the rows (Expand).
        size(collect_set(col("minute"))).as("hr_minutes"),
        expr("percentile(CASE WHEN m = " + code(Metric.HEART_RATE) + " THEN s / n END, 0.1)").as("p10"),
        sum(when(weight, col("s"))).divide(sum(when(weight, col("n")))).as(WearableDailySchema.WEIGHT_KG),
        min("tz").as("tz")));
  }

  /** The stored columns from the day's figures ({@link #days}, {@link RunDays#SCHEMA}; with the patient key). */
  private static Dataset<Row> daily(Dataset<Row> days) {
    Column dayStart = to_utc_timestamp(col(DAY).cast("timestamp"), col("tz"));
    Column dayEnd = to_utc_timestamp(date_add(col(DAY), 1).cast("timestamp"), col("tz"));
    Column minutesInDay = dayEnd.cast("long").minus(dayStart.cast("long")).divide(60);
    return days.select(
        col(P).as(WearableDailySchema.PATIENT_KEY),
        col(DAY).as(WearableDailySchema.DAY),
        dayEnd.as(WearableDailySchema.DAY_END),
        round2(col(WearableDailySchema.STEPS)).as(WearableDailySchema.STEPS),
        round2(col(WearableDailySchema.ACTIVE_MINUTES)).as(WearableDailySchema.ACTIVE_MINUTES),
        round2(when(col("hr_minutes").geq(MIN_MINUTES_FOR_RESTING), col("p10"))).as(WearableDailySchema.RESTING_HEART_RATE),
        round2(col(WearableDailySchema.MEAN_HEART_RATE)).as(WearableDailySchema.MEAN_HEART_RATE),
        round2(col(WearableDailySchema.MAX_HEART_RATE)).as(WearableDailySchema.MAX_HEART_RATE),
        round2(col(WearableDailySchema.SLEEP_MINUTES)).as(WearableDailySchema.SLEEP_MINUTES),
        round2(col(WearableDailySchema.WEIGHT_KG)).as(WearableDailySchema.WEIGHT_KG),
        round(least(col("hr_minutes").divide(minutesInDay), lit(1.0)), 4).as(WearableDailySchema.COVERAGE));
  }

  /** The largest total of one additive metric over the day's (device, granularity) groups. */
  private static Column metricMax(Metric metric) {
    return max(when(is(metric), col("s")));
  }

  private static Column round2(Column c) {
    return round(c.cast("double"), 2);
  }
}
