package org.carelake.pipelines.wearable;

import static org.apache.spark.sql.functions.col;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.CollectionAccumulator;
import org.carelake.core.schema.WearableMeasurementSchema.Metric;
import org.carelake.pipelines.io.TaskReports;

/**
 * The parse's reconciliation counts, tallied by the parse tasks as they emit their rows: per source
 * format, the measurements and the records they came from (with how many measurements carry a
 * sleep session and how many are sleep), and per source format and reason, the records quarantined.
 * Each task reports once, when it has emitted its last row.
 *
 * <p>The tallies are used when every task reported exactly once. A task stopped early reports
 * nothing and a task run twice reports twice; then the counts come from a query over the kept parse
 * ({@link #byQuery}), which gives the same numbers (tested), at the cost of an aggregation over
 * every row (about 0.5 s of an 11 s ingest of 5.2 million measurements).
 */
final class ParseCounts {

  private static final int KIND = ParsedMeasurement.SCHEMA.fieldIndex(ParsedMeasurement.KIND);
  private static final int FIRST = ParsedMeasurement.SCHEMA.fieldIndex(ParsedMeasurement.FIRST_OF_RECORD);
  private static final int METRIC = ParsedMeasurement.SCHEMA.fieldIndex(ParsedMeasurement.METRIC);
  private static final int SESSION = ParsedMeasurement.SCHEMA.fieldIndex(ParsedMeasurement.SESSION_ID);
  private static final int FORMAT = ParsedMeasurement.SCHEMA.fieldIndex(ParsedMeasurement.SOURCE_FORMAT);
  private static final int REASON = ParsedMeasurement.SCHEMA.fieldIndex(ParsedMeasurement.REASON_CODE);
  private static final UTF8String MEASUREMENT = UTF8String.fromString(ParsedMeasurement.KIND_MEASUREMENT);
  private static final UTF8String SLEEP = UTF8String.fromString(Metric.SLEEP.id());

  private ParseCounts() {}

  /**
   * The counts the ingest reconciles: records per source format (accepted and quarantined),
   * quarantined records per reason, accepted records, measurements, and the measurements with a
   * sleep session and of sleep.
   */
  record Counts(Map<String, Long> byFormat, Map<String, Long> quarantined, long acceptedRecords, long measurements,
      long sessionRows, long sleepRows) {}

  /** One task's tallies: per source format its measurements, and per format and reason its quarantined records. */
  record Report(int task, List<Tally> tallies) implements Serializable {}

  /** Measurements of one source format, or quarantined records of one format and reason (the other counts 0). */
  record Tally(boolean quarantine, String format, String reason, long rows, long firstOfRecord, long session, long sleep)
      implements Serializable {}

  /** {@code parsed} wrapped so that each task reports its tallies (see {@link #track}). */
  static TaskReports<Report> tracking(SparkContext sc, JavaRDD<InternalRow> parsed) {
    return new TaskReports<>(sc, "wearable parse counts", parsed, ParseCounts::track);
  }

  /** See {@link #fromReports(Collection, int)}; ask once a job has run the whole parse. */
  static Optional<Counts> counts(TaskReports<Report> reports) {
    return fromReports(reports.reports(), reports.tasks());
  }

  /** What a task tallies rows by: quarantined or not, source format, reason (null for measurements). */
  private record Key(boolean quarantine, String format, String reason) {}

  /** The rows unchanged, reporting the task's tallies to {@code out} once the task has read them all. */
  static Iterator<InternalRow> track(int task, Iterator<InternalRow> rows, CollectionAccumulator<Report> out) {
    return new TaskReports.Reporting(rows) {
      private final Map<Key, long[]> tallies = new HashMap<>();
      // The parser hands out one UTF8String per distinct string of a task: a reference check is the usual path.
      private UTF8String lastKind;
      private boolean measurement;
      private UTF8String lastFormat;
      private UTF8String lastReason;
      private long[] tally;
      private UTF8String lastMetric;
      private boolean sleep;

      @Override
      protected void report() {
        List<Tally> list = new ArrayList<>(tallies.size());
        tallies.forEach((k, t) -> list.add(new Tally(k.quarantine(), k.format(), k.reason(), t[0], t[1], t[2], t[3])));
        out.add(new Report(task, list));
      }

      @Override
      protected void see(InternalRow row) {
        UTF8String kind = row.getUTF8String(KIND);
        UTF8String format = row.getUTF8String(FORMAT);
        UTF8String reason = row.isNullAt(REASON) ? null : row.getUTF8String(REASON);
        if (kind != lastKind || format != lastFormat || reason != lastReason) { // true on the first row: kind is never null
          lastKind = kind;
          lastFormat = format;
          lastReason = reason;
          measurement = MEASUREMENT.equals(kind);
          Key key = new Key(!measurement, format.toString(), measurement || reason == null ? null : reason.toString());
          tally = tallies.computeIfAbsent(key, k -> new long[4]);
        }
        tally[0]++;
        if (measurement) {
          if (row.getBoolean(FIRST)) {
            tally[1]++;
          }
          if (!row.isNullAt(SESSION)) {
            tally[2]++;
          }
          UTF8String metric = row.isNullAt(METRIC) ? null : row.getUTF8String(METRIC);
          if (metric != lastMetric) {
            lastMetric = metric;
            sleep = SLEEP.equals(metric);
          }
          if (sleep) {
            tally[3]++;
          }
        }
      }
    };
  }

  /** The counts from {@code reports} of a parse of {@code tasks} tasks; empty unless each task reported exactly once. */
  static Optional<Counts> fromReports(Collection<Report> reports, int tasks) {
    Set<Integer> reported = new HashSet<>();
    for (Report r : reports) {
      if (!reported.add(r.task())) {
        return Optional.empty();
      }
    }
    if (reported.size() != tasks) {
      return Optional.empty();
    }
    Builder counts = new Builder();
    for (Report r : reports) {
      for (Tally t : r.tallies()) {
        if (t.quarantine()) {
          counts.quarantined(t.format(), t.reason(), t.rows());
        } else {
          counts.measurements(t.format(), t.rows(), t.firstOfRecord(), t.session(), t.sleep());
        }
      }
    }
    return Optional.of(counts.build());
  }

  /** The same counts from a query over the parse's rows (one aggregation over every row). */
  static Counts byQuery(Dataset<Row> parsed) {
    Builder counts = new Builder();
    for (Row r : parsed.groupBy(col(ParsedMeasurement.KIND), col(ParsedMeasurement.FIRST_OF_RECORD), col(ParsedMeasurement.SOURCE_FORMAT),
        col(ParsedMeasurement.REASON_CODE), col(ParsedMeasurement.SESSION_ID).isNotNull().as("session"),
        col(ParsedMeasurement.METRIC).equalTo(Metric.SLEEP.id()).as("sleep")).count().collectAsList()) {
      long n = r.getLong(6);
      if (ParsedMeasurement.KIND_QUARANTINE.equals(r.getString(0))) {
        counts.quarantined(r.getString(2), r.getString(3), n);
      } else {
        counts.measurements(r.getString(2), n, r.getBoolean(1) ? n : 0, r.getBoolean(4) ? n : 0,
            !r.isNullAt(5) && r.getBoolean(5) ? n : 0);
      }
    }
    return counts.build();
  }

  private static final class Builder {
    private final Map<String, Long> byFormat = new TreeMap<>();
    private final Map<String, Long> quarantined = new TreeMap<>();
    private long acceptedRecords;
    private long measurements;
    private long sessionRows;
    private long sleepRows;

    void measurements(String format, long rows, long firstOfRecord, long session, long sleep) {
      measurements += rows;
      sessionRows += session;
      sleepRows += sleep;
      acceptedRecords += firstOfRecord;
      if (firstOfRecord > 0) {
        byFormat.merge(format, firstOfRecord, Long::sum);
      }
    }

    void quarantined(String format, String reason, long records) {
      byFormat.merge(format, records, Long::sum);
      quarantined.merge(reason, records, Long::sum);
    }

    Counts build() {
      return new Counts(byFormat, quarantined, acceptedRecords, measurements, sessionRows, sleepRows);
    }
  }
}
