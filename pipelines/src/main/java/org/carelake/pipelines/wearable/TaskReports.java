package org.carelake.pipelines.wearable;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.util.CollectionAccumulator;

/**
 * A parse's rows wrapped so that each task reports what it saw of them to the driver (through a
 * Spark accumulator), as {@link KeyRanges} and {@link ParseCounts} do. Ask for the reports once a
 * job has run the whole parse; a task reports only when it has emitted its last row, so one stopped
 * early reports nothing, and one run twice reports twice.
 */
final class TaskReports<T> {

  /** Passes a task's rows through unchanged and adds its report(s) to {@code out} once they are all read. */
  interface Tracker<T> extends Serializable {
    Iterator<InternalRow> track(int task, Iterator<InternalRow> rows, CollectionAccumulator<T> out);
  }

  /** A task's rows unchanged, each shown to {@link #see}; {@link #report} runs once, after the last row was read. */
  abstract static class Reporting implements Iterator<InternalRow> {
    private final Iterator<InternalRow> rows;
    private boolean reported;

    Reporting(Iterator<InternalRow> rows) {
      this.rows = rows;
    }

    /** Notes what a row shows. */
    abstract void see(InternalRow row);

    /** Adds the task's report(s); a task stopped before its last row never gets here. */
    abstract void report();

    @Override
    public final boolean hasNext() {
      boolean more = rows.hasNext();
      if (!more && !reported) {
        reported = true;
        report();
      }
      return more;
    }

    @Override
    public final InternalRow next() {
      InternalRow row = rows.next();
      see(row);
      return row;
    }
  }

  private final JavaRDD<InternalRow> rows;
  private final CollectionAccumulator<T> reports;

  TaskReports(SparkContext sc, String name, JavaRDD<InternalRow> parsed, Tracker<T> tracker) {
    CollectionAccumulator<T> out = sc.collectionAccumulator(name);
    this.reports = out;
    this.rows = parsed.mapPartitionsWithIndex((task, it) -> tracker.track(task, it, out), true);
  }

  JavaRDD<InternalRow> rows() {
    return rows;
  }

  List<T> reports() {
    return reports.value();
  }

  int tasks() {
    return rows.getNumPartitions();
  }
}
