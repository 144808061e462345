package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.TableId;

/**
 * {@code silver.wearable_measurement}: one measurement of one metric by one device over a time
 * span, in UTC with normalized units. Natural key: device, metric, start and end time, so the same
 * minute exported twice is one row. Partitioned by the UTC date of the start, for time-range reads.
 *
 * <p>Rows that could not be accepted go to {@code bronze.wearable_quarantine} (the columns of
 * {@link QuarantineSchema}; {@code resource_type} holds the source format, {@code resource_id} the
 * device's pseudonym when known).
 *
 * <p>What is the same for every row of a file or of a metric is not repeated on every row (writing
 * those strings per row cost a sixth of the ingest's time): a metric's one normalized unit is fixed
 * by the vocabulary ({@link Metric#unit()}, also in the {@code metric} column's comment), and a
 * file's layout and the run that first read its current content are in {@link #SOURCE_FILES},
 * keyed by {@link #SOURCE_FILE}.
 */
public final class WearableMeasurementSchema {

  public static final TableId TABLE = TableId.silver("wearable_measurement");
  public static final TableId QUARANTINE = TableId.bronze("wearable_quarantine");
  /** One row per source file: its layout and the run that first read its current content (lineage for {@link #SOURCE_FILE}). */
  public static final TableId SOURCE_FILES = TableId.silver("wearable_source_file");

  public static final String PATIENT_KEY = "patient_key";
  /** The device (or vendor user) id, pseudonymized like patient ids: vendor account ids identify people. */
  public static final String DEVICE_KEY = "device_key";
  public static final String METRIC = "metric";
  public static final String START_TIME = "start_time";
  /** Equal to {@link #START_TIME} for a point sample (e.g. one heart-rate reading). */
  public static final String END_TIME = "end_time";
  public static final String VALUE = "value";
  /** The patient's calendar day (device time zone) the measurement counts for: start's day; sleep: the day it ends. */
  public static final String LOCAL_DAY = "local_day";
  public static final String TIME_ZONE = "time_zone";
  /** A vendor's sleep session (log) id, when the source groups minutes into sessions. */
  public static final String SESSION_ID = "session_id";
  public static final String SOURCE_FILE = "source_file";
  public static final String SOURCE_POSITION = "source_position";
  /** Partition column: UTC date of {@link #START_TIME}. */
  public static final String START_DATE = "start_date";
  /** {@link #SOURCE_FILES}: the file's layout (a Fitabase file name, {@code generic-long}, {@code open-mhealth}, {@code unknown}). */
  public static final String SOURCE_FORMAT = "source_format";
  /** {@link #SOURCE_FILES}: the run that first read the file's current content (a forced re-read of it does not change this). */
  public static final String INGEST_RUN_ID = "ingest_run_id";
  /** {@link #SOURCE_FILES}: when that run started. */
  public static final String INGESTED_AT = "ingested_at";

  public static final List<String> KEY = List.of(DEVICE_KEY, METRIC, START_TIME, END_TIME);
  /** What a measurement says beyond its key: a row whose key is stored with these values unchanged is not rewritten. */
  public static final List<String> CONTENT = List.of(PATIENT_KEY, VALUE, LOCAL_DAY, TIME_ZONE, SESSION_ID);
  /**
   * The columns with Delta's file-level data-skipping statistics: a patient and a time range, what
   * reads filter on. Not the device or the metric: Delta computes a string column's minimum and
   * maximum by an aggregation that copies every row's value, and those two columns cost about 7% of
   * the ingest's CPU (docs/benchmarks.md); a filter on them is still answered from Parquet's own
   * per-row-group statistics in each file's footer, which Spark's reader checks.
   */
  public static final List<String> STATS_COLUMNS = List.of(PATIENT_KEY, START_TIME, LOCAL_DAY);

  public static final StructType SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField(PATIENT_KEY, StringType, false),
      DataTypes.createStructField(DEVICE_KEY, StringType, false),
      DataTypes.createStructField(METRIC, StringType, false).withComment(Metric.describe()),
      DataTypes.createStructField(START_TIME, TimestampType, false),
      DataTypes.createStructField(END_TIME, TimestampType, false),
      DataTypes.createStructField(VALUE, DoubleType, false),
      DataTypes.createStructField(LOCAL_DAY, DateType, false),
      DataTypes.createStructField(TIME_ZONE, StringType, false),
      DataTypes.createStructField(SESSION_ID, StringType, true),
      DataTypes.createStructField(SOURCE_FILE, StringType, false),
      DataTypes.createStructField(SOURCE_POSITION, LongType, false),
      DataTypes.createStructField(START_DATE, DateType, false)});

  public static final StructType SOURCE_FILES_SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField(SOURCE_FILE, StringType, false),
      DataTypes.createStructField(SOURCE_FORMAT, StringType, false),
      DataTypes.createStructField(INGEST_RUN_ID, StringType, false),
      DataTypes.createStructField(INGESTED_AT, TimestampType, false)});

  /** The fixed metric vocabulary, each with its one normalized unit. */
  public enum Metric {
    HEART_RATE("heart_rate", "bpm"),
    STEPS("steps", "steps"),
    /** Moderate-to-vigorous activity ("fairly" plus "very" active in Fitbit terms). */
    ACTIVE_MINUTES("active_minutes", "min"),
    SLEEP("sleep", "min"),
    BODY_WEIGHT("body_weight", "kg");

    private final String id;
    private final String unit;

    Metric(String id, String unit) {
      this.id = id;
      this.unit = unit;
    }

    public String id() {
      return id;
    }

    public String unit() {
      return unit;
    }

    /** Steps, active minutes and sleep add up over a day; heart rate and weight do not. */
    public boolean additive() {
      return this == STEPS || this == ACTIVE_MINUTES || this == SLEEP;
    }

    /** The vocabulary with units, e.g. {@code heart_rate (bpm), steps (steps), ...}: the {@code metric} column's comment. */
    public static String describe() {
      return java.util.Arrays.stream(values()).map(m -> m.id + " (" + m.unit + ")")
          .collect(java.util.stream.Collectors.joining(", ", "measured quantity, in its one normalized unit: ", ""));
    }

    public static java.util.Optional<Metric> of(String id) {
      for (Metric m : values()) {
        if (m.id.equals(id)) {
          return java.util.Optional.of(m);
        }
      }
      return java.util.Optional.empty();
    }
  }

  private WearableMeasurementSchema() {}
}
