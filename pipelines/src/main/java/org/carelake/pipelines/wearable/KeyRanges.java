package org.carelake.pipelines.wearable;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.CollectionAccumulator;
import org.carelake.pipelines.io.TaskReports;

/**
 * Proves, from what the parse saw, that no measurement key (device, metric, start, end) repeats, so
 * the ingest can skip the shuffle that looks for repeats. Each parse task reports, per device and
 * metric, the span of start times it emitted and whether its keys only ever increased; device
 * exports are written in time order, so that holds for a file unless it repeats itself.
 *
 * <p>The proof holds when every task reported, every task's keys increased, and the spans of one
 * device and metric from different tasks do not touch. Anything else (overlapping exports, a
 * repeated hour at a daylight-saving change, a task run twice, a task that did not report) only
 * means "not proven", and the ingest looks for repeats the usual way.
 */
final class KeyRanges {

  private static final UTF8String MEASUREMENT = UTF8String.fromString(ParsedMeasurement.KIND_MEASUREMENT);
  private static final int KIND = ParsedMeasurement.SCHEMA.fieldIndex(ParsedMeasurement.KIND);
  private static final int DEVICE = ParsedMeasurement.SCHEMA.fieldIndex(ParsedMeasurement.DEVICE_KEY);
  private static final int METRIC = ParsedMeasurement.SCHEMA.fieldIndex(ParsedMeasurement.METRIC);
  private static final int START = ParsedMeasurement.SCHEMA.fieldIndex(ParsedMeasurement.START_TIME);
  private static final int END = ParsedMeasurement.SCHEMA.fieldIndex(ParsedMeasurement.END_TIME);

  private KeyRanges() {}

  /** {@code parsed} wrapped so that each task reports its spans (see {@link #track}). */
  static TaskReports<Span> tracking(SparkContext sc, JavaRDD<InternalRow> parsed) {
    return new TaskReports<>(sc, "wearable key spans", parsed, KeyRanges::track);
  }

  /** See {@link #provesUnique(Collection, int)}; ask once a job has run the whole parse. */
  static boolean provesUnique(TaskReports<Span> spans) {
    return provesUnique(spans.reports(), spans.tasks());
  }

  /** What one task saw of one device and metric; {@code device} null marks a task that saw no measurement. */
  record Span(int task, String device, String metric, long minStart, long maxStart, boolean increasing) implements Serializable {}

  /**
   * The rows unchanged, reporting the task's spans to {@code out} once the task has read them all
   * (a task stopped early reports nothing, so proves nothing).
   */
  static Iterator<InternalRow> track(int task, Iterator<InternalRow> rows, CollectionAccumulator<Span> out) {
    return new TaskReports.Reporting(rows) {
      private final Map<List<UTF8String>, State> states = new HashMap<>();
      private UTF8String lastDevice;
      private UTF8String lastMetric;
      private State state;

      @Override
      protected void report() {
        if (states.isEmpty()) {
          out.add(new Span(task, null, null, 0, 0, true));
        }
        states.forEach((k, s) -> out.add(new Span(task, k.get(0).toString(), k.get(1).toString(), s.min, s.max, s.increasing)));
      }

      @Override
      protected void see(InternalRow row) {
        if (!MEASUREMENT.equals(row.getUTF8String(KIND))) {
          return;
        }
        UTF8String device = row.getUTF8String(DEVICE);
        UTF8String metric = row.getUTF8String(METRIC);
        if (device == null || metric == null) { // not expected of a measurement; proves nothing
          states.computeIfAbsent(List.of(UTF8String.EMPTY_UTF8, UTF8String.EMPTY_UTF8), k -> new State()).increasing = false;
          return;
        }
        // The parser hands out one UTF8String per distinct key string, so a reference check is the usual path.
        if (device != lastDevice || metric != lastMetric) {
          lastDevice = device;
          lastMetric = metric;
          state = states.computeIfAbsent(List.of(device.clone(), metric.clone()), k -> new State());
        }
        state.add(row.getLong(START), row.getLong(END));
      }
    };
  }

  /** True when {@code spans}, from a parse of {@code tasks} tasks, show that no key can repeat. */
  static boolean provesUnique(Collection<Span> spans, int tasks) {
    Set<Integer> reported = new HashSet<>();
    Map<List<String>, List<Span>> byKey = new HashMap<>();
    for (Span s : spans) {
      reported.add(s.task());
      if (s.device() == null) {
        continue;
      }
      if (!s.increasing()) {
        return false;
      }
      byKey.computeIfAbsent(List.of(s.device(), s.metric()), k -> new ArrayList<>()).add(s);
    }
    if (reported.size() != tasks) {
      return false;
    }
    for (List<Span> list : byKey.values()) {
      list.sort(Comparator.comparingLong(Span::minStart));
      for (int i = 1; i < list.size(); i++) {
        // Spans that touch may share a start time (a task run twice reports the same span twice, which touches too).
        if (list.get(i).minStart() <= list.get(i - 1).maxStart()) {
          return false;
        }
      }
    }
    return true;
  }

  private static final class State {
    private long min = Long.MAX_VALUE;
    private long max = Long.MIN_VALUE;
    private long lastStart = Long.MIN_VALUE;
    private long lastEnd = Long.MIN_VALUE;
    private boolean increasing = true;

    void add(long start, long end) {
      if (start < lastStart || (start == lastStart && end <= lastEnd)) {
        increasing = false;
      }
      lastStart = start;
      lastEnd = end;
      min = Math.min(min, start);
      max = Math.max(max, start);
    }
  }
}
