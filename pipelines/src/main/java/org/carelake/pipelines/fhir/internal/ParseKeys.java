package org.carelake.pipelines.fhir.internal;

import java.io.Serializable;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.CollectionAccumulator;
import org.carelake.pipelines.io.TaskReports;

/**
 * The keys a FHIR parse emits, reported by each parse task as 64-bit hashes ({@link TaskReports}),
 * so that the ingest learns which tables receive a key more than once (and need the de-duplicating
 * shuffle) from the job that parses, instead of from a second job that scans the parse and groups
 * its keys.
 *
 * <p>A table's key is a resource's (type, id); bronze's is (type, id, content hash) of a resource or
 * a deletion. Keys are counted as the parse emits them, before the ingest quarantines resources whose
 * patient is nowhere: counting a quarantined resource's key, like a hash collision, can only make a
 * table look duplicated, which costs that table the shuffle, never a row. A task run again replaces
 * its report. If some task has not reported (a job that stopped reading early), {@link #duplicated()}
 * says so and the caller counts the keys itself.
 */
public final class ParseKeys {

  /** The name under which bronze's keys are reported. */
  public static final String BRONZE = "_bronze";

  private static final long SEED = 42L;

  /** The silver table of each resource type that has one, looked up with the row's own string. */
  private static final Map<UTF8String, String> SILVER_TABLE = new HashMap<>();

  static {
    Mappers.BY_TYPE.forEach((type, mapper) -> SILVER_TABLE.put(UTF8String.fromString(type), mapper.table().name()));
  }

  /** One task's keys per table, sorted. */
  record Report(int task, Map<String, long[]> keys) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  private final TaskReports<Report> reports;

  private ParseKeys(TaskReports<Report> reports) {
    this.reports = reports;
  }

  /** Wraps {@code parsed} (rows of {@link ParsedSchema}) so that each task reports its keys. */
  public static ParseKeys tracking(SparkContext sc, JavaRDD<InternalRow> parsed) {
    return new ParseKeys(new TaskReports<>(sc, "fhir parse keys", parsed, Tracking::new));
  }

  /** The parse's rows, unchanged. */
  public JavaRDD<InternalRow> rows() {
    return reports.rows();
  }

  /**
   * The tables ({@link #BRONZE} for bronze) whose keys occur more than once in the parse, or empty
   * when not every parse task has reported.
   */
  public Optional<Set<String>> duplicated() {
    Map<Integer, Report> byTask = new HashMap<>();
    for (Report r : reports.reports()) {
      byTask.put(r.task(), r);
    }
    if (byTask.size() != reports.tasks()) {
      return Optional.empty();
    }
    return Optional.of(duplicated(List.copyOf(byTask.values())));
  }

  static Set<String> duplicated(List<Report> reports) {
    Map<String, Integer> sizes = new TreeMap<>();
    for (Report r : reports) {
      r.keys().forEach((table, keys) -> sizes.merge(table, keys.length, Integer::sum));
    }
    Set<String> out = new TreeSet<>();
    for (Map.Entry<String, Integer> table : sizes.entrySet()) {
      long[] all = new long[table.getValue()];
      int at = 0;
      for (Report r : reports) {
        long[] keys = r.keys().get(table.getKey());
        if (keys != null) {
          System.arraycopy(keys, 0, all, at, keys.length);
          at += keys.length;
        }
      }
      Arrays.sort(all);
      for (int i = 1; i < all.length; i++) {
        if (all[i] == all[i - 1]) {
          out.add(table.getKey());
          break;
        }
      }
    }
    return out;
  }

  /**
   * The hash of a key's parts, each hashed with the hash of the parts before it as seed (XXH64
   * hashes a string's length too, so "a" + "bc" and "ab" + "c" differ). A missing part counts as empty.
   */
  static long hash(UTF8String... parts) {
    long h = SEED;
    for (UTF8String part : parts) {
      h = XXH64.hashUTF8String(part == null ? UTF8String.EMPTY_UTF8 : part, h);
    }
    return h;
  }

  /** A task's rows unchanged; its keys go to the accumulator once the last row has been read. */
  private static final class Tracking extends TaskReports.Reporting {
    private final int task;
    private final CollectionAccumulator<Report> out;
    private final Collector keys = new Collector();

    Tracking(int task, Iterator<InternalRow> rows, CollectionAccumulator<Report> out) {
      super(rows);
      this.task = task;
      this.out = out;
    }

    @Override
    protected void see(InternalRow row) {
      keys.see(row);
    }

    @Override
    protected void report() {
      out.add(keys.report(task));
    }
  }

  /** One task's keys, from the parse rows it sees. */
  static final class Collector {
    private final Map<String, Keys> keys = new HashMap<>();

    void see(InternalRow row) {
      // Compared as Spark's UTF-8 strings: no Java string per row.
      UTF8String kind = row.getUTF8String(0);
      boolean resource = ParsedSchema.KIND_RESOURCE_UTF8.equals(kind);
      if (resource || ParsedSchema.KIND_DELETE_UTF8.equals(kind)) {
        UTF8String type = row.getUTF8String(1);
        UTF8String id = row.getUTF8String(2);
        keys.computeIfAbsent(BRONZE, t -> new Keys()).add(hash(type, id, row.getUTF8String(5)));
        String table = resource && type != null ? SILVER_TABLE.get(type) : null;
        if (table != null) {
          keys.computeIfAbsent(table, t -> new Keys()).add(hash(type, id));
        }
      }
    }

    Report report(int task) {
      Map<String, long[]> sorted = new HashMap<>();
      keys.forEach((table, k) -> sorted.put(table, k.sorted()));
      return new Report(task, sorted);
    }
  }

  /** A growing array of key hashes. */
  private static final class Keys {
    private long[] values = new long[1024];
    private int size;

    void add(long key) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = key;
    }

    long[] sorted() {
      long[] out = Arrays.copyOf(values, size);
      Arrays.sort(out);
      return out;
    }
  }
}
