package org.carelake.pipelines.wearable;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.CollectionAccumulator;
import org.junit.jupiter.api.Test;

/** When the parse's key spans prove that no measurement key repeats, and when they do not. */
class KeyRangesTest {

  private static InternalRow row(String kind, String device, String metric, long start, long end) {
    Object[] values = new Object[ParsedMeasurement.SCHEMA.size()];
    values[0] = UTF8String.fromString(kind);
    values[3] = UTF8String.fromString(device);
    values[4] = UTF8String.fromString(metric);
    values[5] = start;
    values[6] = end;
    return new GenericInternalRow(values);
  }

  private static InternalRow m(String device, long start) {
    return row(ParsedMeasurement.KIND_MEASUREMENT, device, "steps", start, start + 60);
  }

  /** Runs the tracker over each task's rows, reading them all as Spark would. */
  private static List<KeyRanges.Span> spans(List<List<InternalRow>> tasks) {
    CollectionAccumulator<KeyRanges.Span> acc = new CollectionAccumulator<>();
    for (int t = 0; t < tasks.size(); t++) {
      Iterator<InternalRow> it = KeyRanges.track(t, tasks.get(t).iterator(), acc);
      List<InternalRow> out = new ArrayList<>();
      it.forEachRemaining(out::add);
      assertThat(out).isEqualTo(tasks.get(t));
    }
    return acc.value();
  }

  @Test
  void increasingKeysInTasksApartInTimeProveUniqueness() {
    List<KeyRanges.Span> spans = spans(List.of(
        List.of(m("a", 0), m("a", 60), m("b", 0), m("b", 60)),
        List.of(m("b", 120), m("b", 180), row(ParsedMeasurement.KIND_QUARANTINE, "b", "steps", 60, 120)),
        List.of()));
    assertThat(KeyRanges.provesUnique(spans, 3)).isTrue();
    // a task that did not report (e.g. stopped early) proves nothing
    assertThat(KeyRanges.provesUnique(spans, 4)).isFalse();
  }

  @Test
  void aRepeatWithinATaskOrAcrossTasksIsNotProvenUnique() {
    // the same minute twice in one task (e.g. the repeated hour of a daylight-saving change)
    assertThat(KeyRanges.provesUnique(spans(List.of(List.of(m("a", 0), m("a", 60), m("a", 60)))), 1)).isFalse();
    // out of order is not proof either
    assertThat(KeyRanges.provesUnique(spans(List.of(List.of(m("a", 60), m("a", 0)))), 1)).isFalse();
    // the same start with a longer span is a different key, in order
    assertThat(KeyRanges.provesUnique(spans(List.of(List.of(
        row(ParsedMeasurement.KIND_MEASUREMENT, "a", "sleep", 0, 60), row(ParsedMeasurement.KIND_MEASUREMENT, "a", "sleep", 0, 120)))), 1))
        .isTrue();
    // overlapping exports of one device in two tasks
    assertThat(KeyRanges.provesUnique(spans(List.of(List.of(m("a", 0), m("a", 120)), List.of(m("a", 60), m("a", 180)))), 2)).isFalse();
    // a task run twice reports the same span twice
    List<KeyRanges.Span> once = spans(List.of(List.of(m("a", 0), m("a", 60))));
    List<KeyRanges.Span> twice = new ArrayList<>(once);
    twice.addAll(once);
    assertThat(KeyRanges.provesUnique(twice, 1)).isFalse();
    // the same times on another device or metric are no repeat
    assertThat(KeyRanges.provesUnique(spans(List.of(List.of(m("a", 0)), List.of(m("b", 0)),
        List.of(row(ParsedMeasurement.KIND_MEASUREMENT, "a", "heart_rate", 0, 1)))), 3)).isTrue();
  }
}
