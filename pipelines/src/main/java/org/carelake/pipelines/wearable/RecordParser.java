package org.carelake.pipelines.wearable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.univocity.parsers.csv.CsvParser;
import com.univocity.parsers.csv.CsvParserSettings;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.catalyst.InternalRow;
import org.carelake.core.schema.WearableMeasurementSchema.Metric;
import org.carelake.pipelines.wearable.ParsedMeasurement.Measurement;
import org.carelake.pipelines.wearable.ParsedMeasurement.Source;

/**
 * Turns one record (a CSV line of a known layout, or an Open mHealth data point) into its
 * measurements, or into one quarantine row with the reason. Runs inside Spark tasks; holds only
 * pseudonyms (see {@link DeviceMap}).
 */
final class RecordParser implements Serializable {

  private static final long serialVersionUID = 1L;

  static final String OPEN_MHEALTH = "open-mhealth";

  /** Open mHealth schema names and body fields, per metric. */
  private static final Map<String, Metric> OMH_SCHEMAS = Map.of("heart-rate", Metric.HEART_RATE, "step-count", Metric.STEPS,
      "sleep-duration", Metric.SLEEP, "body-weight", Metric.BODY_WEIGHT);
  private static final Map<Metric, String> OMH_FIELDS = Map.of(Metric.HEART_RATE, "heart_rate", Metric.STEPS, "step_count",
      Metric.SLEEP, "sleep_duration", Metric.BODY_WEIGHT, "body_weight");

  private final DeviceMap devices;
  private final String defaultDeviceId;
  private transient CsvParser csv;
  private transient ObjectMapper json;
  private transient Map<String, ZoneId> zones;
  private transient ParsedMeasurement.Utf8 utf8;

  /**
   * @param defaultDeviceId the device of Open mHealth data points that name no user (none: such
   *     points are kept aside as unmapped)
   */
  RecordParser(DeviceMap devices, String defaultDeviceId) {
    this.devices = devices;
    this.defaultDeviceId = defaultDeviceId;
  }

  /** The cells of one CSV line (quotes handled). */
  String[] cells(String line) {
    if (line.indexOf('"') < 0) {
      return line.split(",", -1); // no quoting: a plain split (String.split on one char takes no regex)
    }
    if (csv == null) {
      CsvParserSettings settings = new CsvParserSettings();
      settings.setMaxColumns(512);
      settings.setNullValue(null);
      settings.setEmptyValue("");
      csv = new CsvParser(settings);
    }
    String[] cells = csv.parseLine(line);
    return cells == null ? new String[0] : cells;
  }

  /** The source format a CSV's records carry: its layout's id, {@code unknown} when the header matched none. */
  static String formatId(WearableFormat format) {
    return format == null ? "unknown" : format.id();
  }

  /** One data line of a CSV file whose header named {@code format} (null: the header matched no layout). */
  List<InternalRow> csvLine(WearableFormat format, String line, String file, long offset) {
    Source source = new Source(formatId(format), file, offset, ParsedMeasurement.POSITION_LINE_OFFSET);
    if (format == null) {
      return List.of(ParsedMeasurement.quarantine(source, null, Reason.HEADER_MISMATCH,
          "the file's header matches no supported layout; expected " + WearableFormat.expected(), line, utf8()));
    }
    String[] c = cells(line);
    boolean width = format == WearableFormat.GENERIC_LONG ? c.length == 5 || c.length == 6 : c.length == format.columns.size();
    if (!width) {
      return List.of(ParsedMeasurement.quarantine(source, null, Reason.MALFORMED_RECORD,
          "the line has " + c.length + " columns where the header has " + format.columns.size(), line, utf8()));
    }
    String deviceId = c[format.deviceColumn()] == null ? null : c[format.deviceColumn()].trim();
    Optional<DeviceMap.Device> device = devices.find(deviceId);
    if (device.isEmpty()) {
      return List.of(unmapped(source, deviceId, line));
    }
    try {
      return rows(device.get(), format.parse(c, zone(device.get().timeZone())), source, line);
    } catch (Rejected r) {
      return List.of(ParsedMeasurement.quarantine(source, device.get().deviceKey(), r.reason(), r.getMessage(), line, utf8()));
    }
  }

  /** One Open mHealth data point ({@code header} + {@code body}, or a bare body). */
  List<InternalRow> openMHealth(String text, String file, long index) {
    Source source = new Source(OPEN_MHEALTH, file, index, ParsedMeasurement.POSITION_ARRAY_INDEX);
    JsonNode doc;
    try {
      doc = mapper().readTree(text);
    } catch (JsonProcessingException e) {
      return List.of(ParsedMeasurement.quarantine(source, null, Reason.MALFORMED_RECORD, "not valid JSON", text, utf8()));
    }
    return openMHealth(doc, source, text);
  }

  /** The data points of one JSON file: a single data point, or an array of them. */
  List<InternalRow> openMHealthFile(String text, String file) {
    JsonNode doc;
    try {
      doc = mapper().readTree(text);
    } catch (JsonProcessingException e) {
      Source source = new Source(OPEN_MHEALTH, file, 0, ParsedMeasurement.POSITION_ARRAY_INDEX);
      return List.of(ParsedMeasurement.quarantine(source, null, Reason.MALFORMED_RECORD, "not valid JSON", text, utf8()));
    }
    List<InternalRow> out = new ArrayList<>();
    if (doc != null && doc.isArray()) {
      for (int i = 0; i < doc.size(); i++) {
        String item = doc.get(i).toString();
        out.addAll(openMHealth(doc.get(i), new Source(OPEN_MHEALTH, file, i, ParsedMeasurement.POSITION_ARRAY_INDEX), item));
      }
    } else {
      out.addAll(openMHealth(doc, new Source(OPEN_MHEALTH, file, 0, ParsedMeasurement.POSITION_ARRAY_INDEX), text));
    }
    return out;
  }

  private List<InternalRow> openMHealth(JsonNode doc, Source source, String raw) {
    if (doc == null || !doc.isObject()) {
      return List.of(ParsedMeasurement.quarantine(source, null, Reason.MALFORMED_RECORD, "a data point must be a JSON object", raw, utf8()));
    }
    JsonNode header = doc.path("header");
    JsonNode body = doc.has("body") ? doc.get("body") : doc;
    String deviceId = header.path("user_id").isTextual() ? header.path("user_id").asText() : defaultDeviceId;
    try {
      Metric metric = omhMetric(header, body);
      Optional<DeviceMap.Device> device = devices.find(deviceId);
      if (device.isEmpty()) {
        return List.of(unmapped(source, deviceId, raw));
      }
      try {
        return rows(device.get(), List.of(omhMeasurement(metric, body, zone(device.get().timeZone()))), source, raw);
      } catch (Rejected r) {
        return List.of(ParsedMeasurement.quarantine(source, device.get().deviceKey(), r.reason(), r.getMessage(), raw, utf8()));
      }
    } catch (Rejected r) {
      return List.of(ParsedMeasurement.quarantine(source, deviceId == null ? null : devices.deviceKey(deviceId), r.reason(),
          r.getMessage(), raw, utf8()));
    }
  }

  private static Metric omhMetric(JsonNode header, JsonNode body) throws Rejected {
    String schema = header.path("schema_id").path("name").asText(null);
    if (schema != null) {
      Metric m = OMH_SCHEMAS.get(schema);
      if (m == null) {
        throw new Rejected(Reason.UNKNOWN_METRIC, "Open mHealth schema '" + schema + "' is not one CareLake ingests ("
            + new java.util.TreeSet<>(OMH_SCHEMAS.keySet()) + ")");
      }
      return m;
    }
    // Without a schema the body's field names the metric; a body naming several is ambiguous, not
    // read as whichever comes first.
    java.util.SortedSet<String> named = new java.util.TreeSet<>();
    Metric metric = null;
    for (Map.Entry<Metric, String> e : OMH_FIELDS.entrySet()) {
      if (body.has(e.getValue())) {
        named.add(e.getValue());
        metric = e.getKey();
      }
    }
    if (named.size() > 1) {
      throw new Rejected(Reason.MALFORMED_RECORD, "the data point has no schema_id and its body names several measures " + named
          + "; give each its own data point with a header schema_id");
    }
    if (metric == null) {
      throw new Rejected(Reason.UNKNOWN_METRIC, "the data point has none of the bodies CareLake ingests ("
          + new java.util.TreeSet<>(OMH_FIELDS.values()) + ")");
    }
    return metric;
  }

  private static Measurement omhMeasurement(Metric metric, JsonNode body, ZoneId zone) throws Rejected {
    if (body.has("descriptive_statistic")) {
      throw new Rejected(Reason.DESCRIPTIVE_STATISTIC, "the value is a " + body.get("descriptive_statistic").asText()
          + " over a period, not a measurement");
    }
    JsonNode v = body.get(OMH_FIELDS.get(metric));
    double value;
    String unit;
    if (v != null && v.isNumber() && metric == Metric.STEPS) {
      value = v.asDouble(); // step-count 1.0: a bare number of steps
      unit = "steps";
    } else if (v != null && v.path("value").isNumber()) {
      value = v.get("value").asDouble();
      unit = v.path("unit").asText(null);
    } else {
      throw new Rejected(Reason.MALFORMED_RECORD, OMH_FIELDS.get(metric) + " needs a numeric value and a unit");
    }
    JsonNode frame = body.get("effective_time_frame");
    if (frame == null || !frame.isObject()) {
      throw new Rejected(Reason.INVALID_TIME_FRAME, "the data point has no effective_time_frame, so it cannot be placed in time");
    }
    Instant start;
    Instant end;
    if (frame.has("date_time")) {
      if (metric.additive()) {
        throw new Rejected(Reason.INVALID_TIME_FRAME, "a " + metric.id() + " needs a time_interval, not a single date_time");
      }
      start = Values.isoInstant(frame.get("date_time").asText(null), "effective_time_frame.date_time");
      end = start;
    } else if (frame.has("time_interval")) {
      JsonNode interval = frame.get("time_interval");
      JsonNode duration = interval.get("duration");
      if (interval.has("start_date_time") && interval.has("end_date_time")) {
        start = Values.isoInstant(interval.get("start_date_time").asText(null), "time_interval.start_date_time");
        end = Values.isoInstant(interval.get("end_date_time").asText(null), "time_interval.end_date_time");
      } else if (duration != null && duration.path("value").isNumber() && (interval.has("start_date_time") || interval.has("end_date_time"))) {
        Duration length = Duration.ofMillis(Math.round(Values.normalize(Metric.SLEEP, duration.get("value").asDouble(),
            duration.path("unit").asText(null)) * 60_000));
        if (interval.has("start_date_time")) {
          start = Values.isoInstant(interval.get("start_date_time").asText(null), "time_interval.start_date_time");
          end = start.plus(length);
        } else {
          end = Values.isoInstant(interval.get("end_date_time").asText(null), "time_interval.end_date_time");
          start = end.minus(length);
        }
      } else {
        throw new Rejected(Reason.INVALID_TIME_FRAME, "time_interval needs start_date_time and end_date_time (or one of them and a "
            + "duration); a date with a part of day is not precise enough");
      }
    } else {
      throw new Rejected(Reason.INVALID_TIME_FRAME, "effective_time_frame needs a date_time or a time_interval");
    }
    return WearableFormat.measured(metric, value, unit, start, end, zone, null);
  }

  private List<InternalRow> rows(DeviceMap.Device device, List<Measurement> measurements, Source source, String raw) {
    List<InternalRow> out = new ArrayList<>(measurements.size());
    for (int i = 0; i < measurements.size(); i++) {
      out.add(ParsedMeasurement.measurement(i == 0, device, measurements.get(i), source, raw, utf8()));
    }
    return out;
  }

  private InternalRow unmapped(Source source, String deviceId, String raw) {
    String why = deviceId == null || deviceId.isBlank()
        ? "the record names no device or user id; give Open mHealth points a header.user_id, or pass --device-id"
        : "the device is not in devices.csv; add it with its patient and time zone, then re-run the ingest";
    return ParsedMeasurement.quarantine(source, deviceId == null || deviceId.isBlank() ? null : devices.deviceKey(deviceId),
        Reason.UNMAPPED_DEVICE, why, raw, utf8());
  }

  private ZoneId zone(String id) {
    if (zones == null) {
      zones = new java.util.HashMap<>();
    }
    return zones.computeIfAbsent(id, ZoneId::of);
  }

  private ParsedMeasurement.Utf8 utf8() {
    if (utf8 == null) {
      utf8 = new ParsedMeasurement.Utf8();
    }
    return utf8;
  }

  private ObjectMapper mapper() {
    if (json == null) {
      json = new ObjectMapper();
    }
    return json;
  }
}
