package org.carelake.pipelines.wearable;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import org.apache.spark.sql.Row;
import org.carelake.core.Hashes;
import org.apache.spark.sql.RowFactory;
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
  static final String UNIT = "unit";
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
      DataTypes.createStructField(UNIT, StringType, true),
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

  /** Where a record came from. */
  record Source(String format, String file, long position, String positionKind) {}

  /**
   * @param raw the record as received, kept on sleep rows only: a day found to hold more than 24
   *     hours of sleep moves those records to the quarantine after parsing
   */
  static Row measurement(boolean first, DeviceMap.Device device, Measurement m, Source source, String raw) {
    boolean sleep = m.metric() == org.carelake.core.schema.WearableMeasurementSchema.Metric.SLEEP;
    return RowFactory.create(KIND_MEASUREMENT, first, device.patientKey(), device.deviceKey(), m.metric().id(),
        Timestamp.from(m.start()), Timestamp.from(m.end()), m.value(), m.metric().unit(), Date.valueOf(m.localDay()),
        device.timeZone(), m.sessionId(), source.format(), source.file(), source.position(), source.positionKind(),
        sleep ? Hashes.sha256(raw) : null, null, null, sleep ? raw : null);
  }

  static Row quarantine(Source source, String deviceKey, Reason reason, String why, String raw) {
    return RowFactory.create(KIND_QUARANTINE, false, null, deviceKey, null, null, null, null, null, null, null, null,
        source.format(), source.file(), source.position(), source.positionKind(), Hashes.sha256(raw), reason.name(), why, raw);
  }

  /** One measurement in normalized units, before the device map gives it a patient. */
  record Measurement(org.carelake.core.schema.WearableMeasurementSchema.Metric metric, Instant start, Instant end, double value,
      LocalDate localDay, String sessionId) {}
}
