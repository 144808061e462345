package org.carelake.pipelines.io;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.util.CollectionAccumulator;

/**
 * A parse's rows wrapped so that each task reports what it saw of them to the driver (through a
 * Spark accumulator), as the wearable parse's key ranges and counts and the FHIR parse's keys do.
 * Ask for the reports once a job has run the whole parse; a task reports only when it has emitted
 * its last row, so one stopped early reports nothing, and one run twice reports twice.
 */
public final class TaskReports<T> {

  /** Passes a task's rows through unchanged and adds its report(s) to {@code out} once they are all read. */
  public interface Tracker<T> extends Serializable {
    Iterator<InternalRow> track(int task, Iterator<InternalRow> rows, CollectionAccumulator<T> out);
  }

  /** A task's rows unchanged, each shown to {@link #see}; {@link #report} runs once, after the last row was read. */
  public abstract static class Reporting implements Iterator<InternalRow> {
    private final Iterator<InternalRow> rows;
    private boolean reported;

    protected Reporting(Iterator<InternalRow> rows) {
      this.rows = rows;
    }

    /** Notes what a row shows. */
    protected abstract void see(InternalRow row);

    /** Adds the task's report(s); a task stopped before its last row never gets here. */
    protected abstract void report();

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

  public TaskReports(SparkContext sc, String name, JavaRDD<InternalRow> parsed, Tracker<T> tracker) {
    CollectionAccumulator<T> out = sc.collectionAccumulator(name);
    this.reports = out;
    this.rows = parsed.mapPartitionsWithIndex((task, it) -> tracker.track(task, it, out), true);
  }

  public JavaRDD<InternalRow> rows() {
    return rows;
  }

  public List<T> reports() {
    return reports.value();
  }

  public int tasks() {
    return rows.getNumPartitions();
  }
}
