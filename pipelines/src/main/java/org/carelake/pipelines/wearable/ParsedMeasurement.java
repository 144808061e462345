package org.carelake.pipelines.wearable;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.apache.spark.unsafe.types.UTF8String;
import org.carelake.core.Hashes;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The row one parse produces: a measurement of an accepted record, or the quarantine row of a
 * rejected one. A record (a CSV line, a JSON data point) is accepted whole or rejected whole; the
 * first measurement of an accepted record is flagged, so records reconcile: read = accepted +
 * quarantined.
 */
final class ParsedMeasurement {

  static final String KIND = "kind";
  static final String KIND_MEASUREMENT = "measurement";
  static final String KIND_QUARANTINE = "quarantine";
  static final String FIRST_OF_RECORD = "first_of_record";
  static final String PATIENT_KEY = "patient_key";
  static final String DEVICE_KEY = "device_key";
  static final String METRIC = "metric";
  static final String START_TIME = "start_time";
  static final String END_TIME = "end_time";
  static final String VALUE = "value";
  static final String LOCAL_DAY = "local_day";
  static final String TIME_ZONE = "time_zone";
  static final String SESSION_ID = "session_id";
  static final String SOURCE_FORMAT = "source_format";
  static final String SOURCE_FILE = "source_file";
  static final String SOURCE_POSITION = "source_position";
  static final String POSITION_KIND = "source_position_kind";
  static final String RECORD_HASH = "record_hash";
  static final String REASON_CODE = "reason_code";
  static final String REASON = "reason";
  static final String RAW = "raw";

  static final String POSITION_LINE_OFFSET = "line-offset";
  static final String POSITION_ARRAY_INDEX = "array-index";

  static final StructType SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField(KIND, StringType, false),
      DataTypes.createStructField(FIRST_OF_RECORD, BooleanType, false),
      DataTypes.createStructField(PATIENT_KEY, StringType, true),
      DataTypes.createStructField(DEVICE_KEY, StringType, true),
      DataTypes.createStructField(METRIC, StringType, true),
      DataTypes.createStructField(START_TIME, TimestampType, true),
      DataTypes.createStructField(END_TIME, TimestampType, true),
      DataTypes.createStructField(VALUE, DoubleType, true),
      DataTypes.createStructField(LOCAL_DAY, DateType, true),
      DataTypes.createStructField(TIME_ZONE, StringType, true),
      DataTypes.createStructField(SESSION_ID, StringType, true),
      DataTypes.createStructField(SOURCE_FORMAT, StringType, false),
      DataTypes.createStructField(SOURCE_FILE, StringType, false),
      DataTypes.createStructField(SOURCE_POSITION, LongType, false),
      DataTypes.createStructField(POSITION_KIND, StringType, false),
      DataTypes.createStructField(RECORD_HASH, StringType, true),
      DataTypes.createStructField(REASON_CODE, StringType, true),
      DataTypes.createStructField(REASON, StringType, true),
      DataTypes.createStructField(RAW, StringType, true)});

  private ParsedMeasurement() {}

  /**
   * Whether a row is a measurement (else a quarantined record): a null test of its reason, which
   * every quarantined row has and no measurement has, instead of comparing the kind string per row.
   */
  static org.apache.spark.sql.Column isMeasurement() {
    return org.apache.spark.sql.functions.col(REASON_CODE).isNull();
  }

  /** The rows {@link #isMeasurement()} is false for: quarantined records. */
  static org.apache.spark.sql.Column isQuarantined() {
    return org.apache.spark.sql.functions.col(REASON_CODE).isNotNull();
  }

  /** Where a record came from. */
  record Source(String format, String file, long position, String positionKind) {}

  /**
   * Spark's own row of a measurement: strings as UTF-8 (the few distinct ones, such as keys, file
   * and metric names, converted once per task by {@code utf8}), times as microseconds and days, so
   * the parse feeds Spark without a per-row conversion.
   *
   * @param raw the record as received, kept on sleep rows only: a day found to hold more than 24
   *     hours of sleep moves those records to the quarantine after parsing
   */
  static InternalRow measurement(boolean first, DeviceMap.Device device, Measurement m, Source source, String raw, Utf8 utf8) {
    boolean sleep = m.metric() == org.carelake.core.schema.WearableMeasurementSchema.Metric.SLEEP;
    return new GenericInternalRow(new Object[] {utf8.of(KIND_MEASUREMENT), first, utf8.of(device.patientKey()),
        utf8.of(device.deviceKey()), utf8.of(m.metric().id()), DateTimeUtils.instantToMicros(m.start()),
        DateTimeUtils.instantToMicros(m.end()), m.value(), (int) m.localDay().toEpochDay(),
        utf8.of(device.timeZone()), m.sessionId() == null ? null : UTF8String.fromString(m.sessionId()), utf8.of(source.format()),
        utf8.of(source.file()), source.position(), utf8.of(source.positionKind()),
        sleep ? UTF8String.fromString(Hashes.sha256(raw)) : null, null, null, sleep ? UTF8String.fromString(raw) : null});
  }

  static InternalRow quarantine(Source source, String deviceKey, Reason reason, String why, String raw, Utf8 utf8) {
    return new GenericInternalRow(new Object[] {utf8.of(KIND_QUARANTINE), false, null, deviceKey == null ? null : utf8.of(deviceKey),
        null, null, null, null, null, null, null, utf8.of(source.format()), utf8.of(source.file()), source.position(),
        utf8.of(source.positionKind()), UTF8String.fromString(Hashes.sha256(raw)), utf8.of(reason.name()),
        UTF8String.fromString(why), UTF8String.fromString(raw)});
  }

  /**
   * The UTF-8 form of the strings that repeat on every row of a task (keys, file names, metric
   * names), each converted once. Not thread-safe: one per parser per task.
   */
  static final class Utf8 {
    private static final int LIMIT = 10_000;
    private final Map<String, UTF8String> seen = new HashMap<>();

    UTF8String of(String s) {
      UTF8String u = seen.get(s);
      if (u == null) {
        u = UTF8String.fromString(s);
        if (seen.size() < LIMIT) {
          seen.put(s, u);
        }
      }
      return u;
    }
  }

  /** One measurement in normalized units, before the device map gives it a patient. */
  record Measurement(org.carelake.core.schema.WearableMeasurementSchema.Metric metric, Instant start, Instant end, double value,
      LocalDate localDay, String sessionId) {}
}
