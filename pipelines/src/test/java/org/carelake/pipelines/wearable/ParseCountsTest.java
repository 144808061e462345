package org.carelake.pipelines.wearable;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.unsafe.types.UTF8String;
import org.carelake.core.testing.SparkExtension;
import org.carelake.pipelines.io.TaskReports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The parse tasks' tallies give the counts a query over the parse gives, and are not used when a task reported twice or not at all. */
@ExtendWith(SparkExtension.class)
class ParseCountsTest {

  private static final String HEART = "heartrate_seconds_merged.csv";
  private static final String SLEEP = "minuteSleep_merged.csv";
  private static final int TASKS = 3;
  private static final int ROWS = 500;

  /**
   * Row {@code i} of a task: every 17th a quarantined record (two reasons), every third of a sleep
   * file (half of those with a session), every fourth not the first measurement of its record (a
   * wide file). Strings are shared within a task as the parser shares them, except every 10th row's
   * format, a copy.
   */
  private static InternalRow row(int i, UTF8String[] shared) {
    boolean sleep = i % 3 == 0;
    UTF8String format = sleep ? shared[0] : shared[1];
    if (i % 10 == 0) {
      format = UTF8String.fromString(format.toString());
    }
    Object[] v = new Object[ParsedMeasurement.SCHEMA.size()];
    v[idx(ParsedMeasurement.SOURCE_FORMAT)] = format;
    v[idx(ParsedMeasurement.SOURCE_FILE)] = shared[2];
    v[idx(ParsedMeasurement.SOURCE_POSITION)] = (long) i;
    v[idx(ParsedMeasurement.POSITION_KIND)] = shared[3];
    if (i % 17 == 0) {
      v[idx(ParsedMeasurement.KIND)] = shared[4];
      v[idx(ParsedMeasurement.FIRST_OF_RECORD)] = false;
      v[idx(ParsedMeasurement.REASON_CODE)] = UTF8String.fromString(i % 2 == 0 ? "UNPARSEABLE_TIMESTAMP" : "IMPOSSIBLE_VALUE");
      return new GenericInternalRow(v);
    }
    v[idx(ParsedMeasurement.KIND)] = shared[5];
    v[idx(ParsedMeasurement.FIRST_OF_RECORD)] = i % 4 != 1;
    v[idx(ParsedMeasurement.METRIC)] = sleep ? shared[6] : shared[7];
    v[idx(ParsedMeasurement.SESSION_ID)] = sleep && i % 2 == 0 ? UTF8String.fromString("log-" + i / 60) : null;
    return new GenericInternalRow(v);
  }

  private static int idx(String column) {
    return ParsedMeasurement.SCHEMA.fieldIndex(column);
  }

  private static JavaRDD<InternalRow> parse(SparkSession spark) {
    List<Integer> tasks = new ArrayList<>();
    for (int t = 0; t < TASKS; t++) {
      tasks.add(t);
    }
    return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(tasks, TASKS).mapPartitions(it -> {
      it.next();
      UTF8String[] shared = new UTF8String[8];
      String[] values = {SLEEP, HEART, "in/f.csv", ParsedMeasurement.POSITION_LINE_OFFSET, ParsedMeasurement.KIND_QUARANTINE,
          ParsedMeasurement.KIND_MEASUREMENT, "sleep", "heart_rate"};
      for (int s = 0; s < shared.length; s++) {
        shared[s] = UTF8String.fromString(values[s]);
      }
      List<InternalRow> rows = new ArrayList<>();
      for (int i = 0; i < ROWS; i++) {
        rows.add(row(i, shared));
      }
      return rows.iterator();
    });
  }

  @Test
  void tasksTallyWhatAQueryOverTheParseCountsAndARepeatedTaskIsNotUsed() {
    SparkSession spark = SparkExtension.spark();
    TaskReports<ParseCounts.Report> tracked = ParseCounts.tracking(spark.sparkContext(), parse(spark));
    try (KeptRows kept = KeptRows.of(spark, tracked.rows().rdd(), ParsedMeasurement.SCHEMA)) {
      kept.compute();
      ParseCounts.Counts fromTasks = ParseCounts.counts(tracked).orElseThrow();

      // The same numbers counted here, row by row, without Spark.
      long measurements = 0;
      long records = 0;
      long sessions = 0;
      long sleep = 0;
      Map<String, Long> byFormat = new TreeMap<>();
      Map<String, Long> quarantined = new TreeMap<>();
      for (int i = 0; i < ROWS; i++) {
        String format = i % 3 == 0 ? SLEEP : HEART;
        if (i % 17 == 0) {
          byFormat.merge(format, (long) TASKS, Long::sum);
          quarantined.merge(i % 2 == 0 ? "UNPARSEABLE_TIMESTAMP" : "IMPOSSIBLE_VALUE", (long) TASKS, Long::sum);
          continue;
        }
        measurements += TASKS;
        sleep += i % 3 == 0 ? TASKS : 0;
        sessions += i % 3 == 0 && i % 2 == 0 ? TASKS : 0;
        if (i % 4 != 1) {
          records += TASKS;
          byFormat.merge(format, (long) TASKS, Long::sum);
        }
      }
      assertThat(fromTasks).isEqualTo(new ParseCounts.Counts(byFormat, quarantined, records, measurements, sessions, sleep));
      assertThat(ParseCounts.byQuery(kept.rows())).as("a query over the kept parse").isEqualTo(fromTasks);

      // The parse run again outside the kept rows: each task reports a second time, and the tallies are not used.
      assertThat(tracked.rows().count()).isEqualTo((long) TASKS * ROWS);
      assertThat(ParseCounts.counts(tracked)).isEmpty();
    }
  }

  @Test
  void countsNeedAReportFromEveryTask() {
    ParseCounts.Report first = new ParseCounts.Report(0, List.of(new ParseCounts.Tally(false, HEART, null, 10, 10, 0, 0)));
    ParseCounts.Report second = new ParseCounts.Report(1, List.of(
        new ParseCounts.Tally(false, HEART, null, 5, 4, 0, 0), new ParseCounts.Tally(true, HEART, "IMPOSSIBLE_VALUE", 2, 0, 0, 0)));
    ParseCounts.Report empty = new ParseCounts.Report(2, List.of());

    assertThat(ParseCounts.fromReports(List.of(first, second, empty), 3)).contains(new ParseCounts.Counts(
        Map.of(HEART, 16L), Map.of("IMPOSSIBLE_VALUE", 2L), 14, 15, 0, 0));
    assertThat(ParseCounts.fromReports(List.of(first, second), 3)).as("task 2 did not report").isEmpty();
    assertThat(ParseCounts.fromReports(List.of(first, second, empty, first), 3)).as("task 0 reported twice").isEmpty();
    assertThat(ParseCounts.fromReports(List.of(), 0)).as("no files, no tasks").contains(new ParseCounts.Counts(
        Map.of(), Map.of(), 0, 0, 0, 0));
  }
}
