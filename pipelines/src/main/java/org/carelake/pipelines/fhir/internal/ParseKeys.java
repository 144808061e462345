package org.carelake.pipelines.fhir.internal;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
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
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The keys a FHIR parse emits, reported by each parse task as 64-bit hashes, so that the ingest
 * learns which tables receive a key more than once (and need the de-duplicating shuffle) from the
 * job that parses, instead of from a second job that scans the parse and groups its keys.
 *
 * <p>A table's key is a resource's (type, id); bronze's is (type, id, content hash) of a resource or
 * a deletion. Keys are counted as the parse emits them, before the ingest quarantines resources whose
 * patient is nowhere: counting a quarantined resource's key, like a hash collision, can only make a
 * table look duplicated, which costs that table the shuffle, never a row. A task reports when it has
 * emitted its last row; a task run again replaces its report. If some task has not reported (a job
 * that stopped reading early), {@link #duplicated()} says so and the caller counts the keys itself.
 */
public final class ParseKeys {

  /** The name under which bronze's keys are reported. */
  public static final String BRONZE = "_bronze";

  private static final long SEED = 42L;

  /** One task's keys per table, sorted. */
  record Report(int task, Map<String, long[]> keys) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  private final JavaRDD<Row> rows;
  private final CollectionAccumulator<Report> reports;

  private ParseKeys(JavaRDD<Row> rows, CollectionAccumulator<Report> reports) {
    this.rows = rows;
    this.reports = reports;
  }

  /** Wraps {@code parsed} (rows of {@link ParsedSchema}) so that each task reports its keys. */
  public static ParseKeys tracking(SparkContext sc, JavaRDD<Row> parsed) {
    CollectionAccumulator<Report> out = sc.collectionAccumulator("fhir parse keys");
    return new ParseKeys(parsed.mapPartitionsWithIndex((task, it) -> new Tracking(task, it, out), true), out);
  }

  /** The parse's rows, unchanged. */
  public JavaRDD<Row> rows() {
    return rows;
  }

  /**
   * The tables ({@link #BRONZE} for bronze) whose keys occur more than once in the parse, or empty
   * when not every parse task has reported.
   */
  public Optional<Set<String>> duplicated() {
    Map<Integer, Report> byTask = new HashMap<>();
    for (Report r : reports.value()) {
      byTask.put(r.task(), r);
    }
    if (byTask.size() != rows.getNumPartitions()) {
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

  /** The hash of a key's parts (UTF-8, each part followed by a NUL: "a" + "bc" and "ab" + "c" differ). */
  static long hash(String... parts) {
    int length = 0;
    byte[][] bytes = new byte[parts.length][];
    for (int i = 0; i < parts.length; i++) {
      bytes[i] = parts[i] == null ? new byte[0] : parts[i].getBytes(StandardCharsets.UTF_8);
      length += bytes[i].length + 1;
    }
    byte[] joined = new byte[length];
    int at = 0;
    for (byte[] b : bytes) {
      System.arraycopy(b, 0, joined, at, b.length);
      at += b.length + 1;
    }
    return XXH64.hashUnsafeBytes(joined, Platform.BYTE_ARRAY_OFFSET, joined.length, SEED);
  }

  /** A task's rows unchanged; its keys go to the accumulator once the last row has been read. */
  private static final class Tracking implements Iterator<Row> {
    private final int task;
    private final Iterator<Row> rows;
    private final CollectionAccumulator<Report> out;
    private final Map<String, Keys> keys = new HashMap<>();
    private boolean reported;

    Tracking(int task, Iterator<Row> rows, CollectionAccumulator<Report> out) {
      this.task = task;
      this.rows = rows;
      this.out = out;
    }

    @Override
    public boolean hasNext() {
      boolean more = rows.hasNext();
      if (!more && !reported) {
        reported = true;
        Map<String, long[]> sorted = new HashMap<>();
        keys.forEach((table, k) -> sorted.put(table, k.sorted()));
        out.add(new Report(task, sorted));
      }
      return more;
    }

    @Override
    public Row next() {
      Row row = rows.next();
      String kind = row.getString(0);
      boolean resource = ParsedSchema.KIND_RESOURCE.equals(kind);
      if (resource || ParsedSchema.KIND_DELETE.equals(kind)) {
        String type = row.getString(1);
        String id = row.getString(2);
        keys.computeIfAbsent(BRONZE, t -> new Keys()).add(hash(type, id, row.getString(5)));
        ResourceMapper mapper = resource ? Mappers.BY_TYPE.get(type) : null;
        if (mapper != null) {
          keys.computeIfAbsent(mapper.table().name(), t -> new Keys()).add(hash(type, id));
        }
      }
      return row;
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
