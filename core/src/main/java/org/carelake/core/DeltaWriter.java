package org.carelake.core;

import static org.apache.spark.sql.functions.col;

import io.delta.tables.DeltaTable;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Idempotent writes to lakehouse tables. Every write is either a MERGE on a natural key that only
 * touches rows whose content changed, or a full replacement of a derived table; repeating a write
 * with the same input changes nothing and makes no new commit.
 */
public final class DeltaWriter {

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final LakehouseTransaction transaction;
  private final Map<TableId, String[]> partitioning = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<TableId, String> statsColumns = new java.util.concurrent.ConcurrentHashMap<>();

  public DeltaWriter(SparkSession spark, Lakehouse lakehouse, LakehouseTransaction transaction) {
    this.spark = spark;
    this.lakehouse = lakehouse;
    this.transaction = transaction;
  }

  /**
   * Upserts {@code source} into {@code table} on {@code keys}. A source row replaces the target row
   * only when its {@code hashColumn} differs and {@code replaceIf} (over {@code s.} source and
   * {@code t.} target columns) holds, e.g. a newer FHIR version. Source keys must be unique.
   */
  public TableWrite upsert(Dataset<Row> source, TableId table, List<String> keys, String hashColumn, String replaceIf) {
    java.util.Optional<Long> current = lakehouse.version(spark, table);
    transaction.touch(table, current);
    if (current.isEmpty()) {
      return create(source, table);
    }
    long before = current.get();
    Dataset<Row> stored = lakehouse.read(spark, table);
    requireSameLayout(table, stored, source);
    Dataset<Row> target = stored.select(keyAndHash(keys, hashColumn));
    // Only rows that are new or whose content differs reach the MERGE; an unchanged re-run commits nothing.
    Dataset<Row> changed = source.join(target, seq(keys, hashColumn), "left_anti");
    if (changed.isEmpty()) {
      return new TableWrite(table, before, before, 0, 0, 0);
    }
    String on = keys.stream().map(k -> "t." + k + " = s." + k).collect(Collectors.joining(" AND "));
    String update = "t." + hashColumn + " <> s." + hashColumn + (replaceIf == null ? "" : " AND (" + replaceIf + ")");
    DeltaTable.forPath(spark, lakehouse.tablePath(table).toString())
        .as("t")
        .merge(changed.as("s"), on)
        .whenMatched(update)
        .updateAll()
        .whenNotMatched()
        .insertAll()
        .execute();
    return lastWrite(table, before);
  }

  /**
   * Upserts {@code source} into {@code table} on {@code keys}, for a table without a content hash
   * column: a source row is written when no stored row has its keys and equal (null-safe)
   * {@code compared} columns. Source keys must be unique.
   */
  public TableWrite upsertCompared(Dataset<Row> source, TableId table, List<String> keys, List<String> compared) {
    java.util.Optional<Long> current = lakehouse.version(spark, table);
    transaction.touch(table, current);
    if (current.isEmpty()) {
      return create(source, table);
    }
    long before = current.get();
    Dataset<Row> stored = lakehouse.read(spark, table);
    requireSameLayout(table, stored, source);
    Dataset<Row> changed = changedRows(source, stored, keys, compared);
    if (changed.isEmpty()) {
      return new TableWrite(table, before, before, 0, 0, 0);
    }
    String on = keys.stream().map(k -> "t." + k + " = s." + k).collect(Collectors.joining(" AND "));
    String differs = "NOT (" + compared.stream().map(c -> comparable(source, "t", c) + " <=> " + comparable(source, "s", c))
        .collect(Collectors.joining(" AND ")) + ")";
    DeltaTable.forPath(spark, lakehouse.tablePath(table).toString())
        .as("t")
        .merge(changed.as("s"), on)
        .whenMatched(differs)
        .updateAll()
        .whenNotMatched()
        .insertAll()
        .execute();
    return lastWrite(table, before);
  }

  /** The rows of {@code source} that {@code target} does not hold with the same keys and (null-safe) equal compared columns. */
  public static Dataset<Row> changedRows(Dataset<Row> source, Dataset<Row> target, List<String> keys, List<String> compared) {
    List<String> all = new java.util.ArrayList<>(keys);
    all.addAll(compared);
    Dataset<Row> t = target.select(all.stream().map(c -> col(c).as("_t_" + c)).toArray(Column[]::new));
    Column match = null;
    for (String c : all) {
      boolean map = source.schema().apply(c).dataType() instanceof org.apache.spark.sql.types.MapType;
      Column s = map ? sortedEntries(source.col(c)) : source.col(c);
      Column stored = map ? sortedEntries(t.col("_t_" + c)) : t.col("_t_" + c);
      Column eq = keys.contains(c) ? s.equalTo(stored) : s.eqNullSafe(stored);
      match = match == null ? eq : match.and(eq);
    }
    return source.join(t, match, "left_anti");
  }

  /**
   * A merge into a stored table needs the columns this release writes, with their types: a table
   * written by a release with another layout would otherwise fail inside Delta's MERGE with an
   * analysis error, or take nulls in columns the source lacks. Column order and nullability may
   * differ (Delta reads every column back as nullable).
   */
  private void requireSameLayout(TableId table, Dataset<Row> stored, Dataset<Row> source) {
    Map<String, DataType> have = types(stored.schema());
    Map<String, DataType> want = types(source.schema());
    if (have.equals(want)) {
      return;
    }
    List<String> problems = new java.util.ArrayList<>();
    List<String> missing = want.keySet().stream().filter(c -> !have.containsKey(c)).toList();
    List<String> extra = have.keySet().stream().filter(c -> !want.containsKey(c)).toList();
    List<String> retyped = want.keySet().stream().filter(c -> have.containsKey(c) && !have.get(c).equals(want.get(c)))
        .map(c -> c + " (stored " + have.get(c).simpleString() + ", written " + want.get(c).simpleString() + ")").toList();
    if (!missing.isEmpty()) {
      problems.add("lacks " + String.join(", ", missing));
    }
    if (!extra.isEmpty()) {
      problems.add("has " + String.join(", ", extra) + ", which this release does not write");
    }
    if (!retyped.isEmpty()) {
      problems.add("types differ for " + String.join(", ", retyped));
    }
    throw CareLakeException.badInput("Table " + table + " at " + lakehouse.tablePath(table)
            + " has another column layout than this release writes: it " + String.join("; ", problems)
            + ". The run stops here; its writes are rolled back.",
        "the table was written by another CareLake release. Move its folder out of the lakehouse (it stays a readable Delta "
            + "table) and run the command again (an ingest with --force, so files it already ingested are read again): the "
            + "table is re-created from the inputs.");
  }

  private static Map<String, DataType> types(StructType schema) {
    Map<String, DataType> types = new java.util.LinkedHashMap<>();
    for (StructField f : schema.fields()) {
      types.put(f.name(), f.dataType().asNullable());
    }
    return types;
  }

  /** Maps have no ordering in Spark SQL: they compare as their entries, sorted. */
  private static Column sortedEntries(Column map) {
    return org.apache.spark.sql.functions.array_sort(org.apache.spark.sql.functions.map_entries(map));
  }

  private static String comparable(Dataset<Row> source, String alias, String column) {
    boolean map = source.schema().apply(column).dataType() instanceof org.apache.spark.sql.types.MapType;
    return map ? "array_sort(map_entries(" + alias + "." + column + "))" : alias + "." + column;
  }

  /**
   * Upserts {@code source} into {@code table} on {@code keys} for a derived table with no content
   * hash column: a source row is written only when no stored row equals it column for column, so
   * recomputing part of a table and upserting it touches only the rows that changed.
   */
  public TableWrite upsertRows(Dataset<Row> source, TableId table, List<String> keys) {
    java.util.Optional<Long> current = lakehouse.version(spark, table);
    transaction.touch(table, current);
    if (current.isEmpty()) {
      return create(source, table);
    }
    long before = current.get();
    Dataset<Row> all = lakehouse.read(spark, table);
    requireSameLayout(table, all, source);
    Dataset<Row> stored = all.select(columns(List.of(source.columns())));
    Dataset<Row> changed = source.exceptAll(stored);
    if (changed.isEmpty()) {
      return new TableWrite(table, before, before, 0, 0, 0);
    }
    String on = keys.stream().map(k -> "t." + k + " = s." + k).collect(Collectors.joining(" AND "));
    DeltaTable.forPath(spark, lakehouse.tablePath(table).toString())
        .as("t")
        .merge(changed.as("s"), on)
        .whenMatched()
        .updateAll()
        .whenNotMatched()
        .insertAll()
        .execute();
    return lastWrite(table, before);
  }

  /** Removes rows whose keys appear in {@code keysToDelete}. */
  public TableWrite delete(Dataset<Row> keysToDelete, TableId table, List<String> keys) {
    java.util.Optional<Long> current = lakehouse.version(spark, table);
    transaction.touch(table, current);
    if (current.isEmpty()) {
      return new TableWrite(table, TableWrite.NO_VERSION, TableWrite.NO_VERSION, 0, 0, 0);
    }
    long before = current.get();
    Dataset<Row> present = keysToDelete.join(lakehouse.read(spark, table).select(columns(keys)), seq(keys, null), "left_semi");
    if (present.isEmpty()) {
      return new TableWrite(table, before, before, 0, 0, 0);
    }
    String on = keys.stream().map(k -> "t." + k + " = s." + k).collect(Collectors.joining(" AND "));
    DeltaTable.forPath(spark, lakehouse.tablePath(table).toString())
        .as("t")
        .merge(present.as("s"), on)
        .whenMatched()
        .delete()
        .execute();
    return lastWrite(table, before);
  }

  /**
   * Replaces a derived table's contents when they differ from {@code source}. Used for gold tables
   * that are a pure function of their inputs, so the same inputs give no new version.
   */
  public TableWrite replace(Dataset<Row> source, TableId table) {
    java.util.Optional<Long> current = lakehouse.version(spark, table);
    transaction.touch(table, current);
    if (current.isEmpty()) {
      return create(source, table);
    }
    long before = current.get();
    Dataset<Row> stored = lakehouse.read(spark, table);
    // Computed once for both comparisons and the write (not three times; also one answer if the plan is not deterministic).
    source = source.localCheckpoint(true);
    // Delta reads every column back as nullable: compare names and types only.
    boolean sameSchema = stored.schema().asNullable().equals(source.schema().asNullable());
    if (sameSchema && stored.exceptAll(source).isEmpty() && source.exceptAll(stored).isEmpty()) {
      return new TableWrite(table, before, before, 0, 0, 0);
    }
    source.write().format("delta").mode("overwrite").option("overwriteSchema", "true").save(lakehouse.tablePath(table).toString());
    return lastWrite(table, before);
  }

  /** Appends rows (for run logs and metric history, which are append-only by nature). */
  public TableWrite append(Dataset<Row> rows, TableId table) {
    java.util.Optional<Long> current = lakehouse.version(spark, table);
    transaction.touch(table, current);
    if (current.isEmpty()) {
      return create(rows, table);
    }
    long before = current.get();
    rows.write().format("delta").mode("append").option("mergeSchema", "true").save(lakehouse.tablePath(table).toString());
    return lastWrite(table, before);
  }

  /**
   * Creates {@code table}, when a write creates it, partitioned by {@code columns} (e.g. a date for
   * time-range reads). Tables that exist keep their layout.
   */
  public DeltaWriter partitionNewTable(TableId table, String... columns) {
    partitioning.put(table, columns);
    return this;
  }

  /**
   * Keeps Delta's data-skipping statistics (min, max, null count per file) of {@code table}, when a
   * write creates it, for {@code columns} only: the columns reads filter on. Delta's default, the
   * first 32 columns, makes every write of a wide table evaluate min and max of long strings
   * (keys, file names) for every row. Tables that exist keep their setting.
   */
  public DeltaWriter statsColumnsOfNewTable(TableId table, String... columns) {
    statsColumns.put(table, String.join(",", columns));
    return this;
  }

  /**
   * Creates {@code files.table()} with {@code written} (files a multi-table job wrote for it, see
   * {@link TableFiles}) as its first version: the files are moved into the table's folder and
   * committed with their Delta statistics, without another pass over the rows. The table must not
   * exist yet ({@link TableFiles#prepare} found it missing).
   */
  public TableWrite create(TableFiles files, List<TableFiles.File> written) {
    TableId table = files.table();
    java.util.Optional<Long> current = lakehouse.version(spark, table);
    transaction.touch(table, current);
    if (current.isPresent() || files.metadata() == null) {
      throw new IllegalStateException(table + " exists (another writer created it meanwhile?): its rows must be merged, not committed as a new table");
    }
    org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(lakehouse.tablePath(table).toString());
    List<org.apache.spark.sql.delta.actions.Action> adds = new java.util.ArrayList<>();
    long rows = 0;
    long version;
    org.apache.hadoop.fs.FileSystem fs;
    try {
      fs = dir.getFileSystem(spark.sessionState().newHadoopConf());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("could not open the file system of " + dir, e);
    }
    try {
      fs.mkdirs(dir);
      for (TableFiles.File file : written) {
        org.apache.hadoop.fs.Path from = new org.apache.hadoop.fs.Path(file.path());
        org.apache.hadoop.fs.Path to = new org.apache.hadoop.fs.Path(dir, from.getName());
        if (!fs.rename(from, to)) {
          throw new java.io.IOException("could not move " + from + " to " + to);
        }
        adds.add(new org.apache.spark.sql.delta.actions.AddFile(to.getName(), scala.collection.immutable.Map$.MODULE$.empty(),
            file.bytes(), fs.getFileStatus(to).getModificationTime(), true, file.stats(), null, null, scala.Option.empty(),
            scala.Option.empty(), scala.Option.empty()));
        rows += file.rows();
      }
      org.apache.spark.sql.delta.OptimisticTransaction txn =
          org.apache.spark.sql.delta.DeltaLog.forTable(spark, dir.toString()).startTransaction();
      txn.updateMetadataForNewTable(files.metadata());
      version = txn.commit(scala.collection.JavaConverters.asScalaBuffer(adds).toSeq(),
          new org.apache.spark.sql.delta.DeltaOperations.Write(org.apache.spark.sql.SaveMode.ErrorIfExists, scala.Option.empty(),
              scala.Option.empty(), scala.Option.empty()));
    } catch (java.io.IOException e) {
      // Nothing committed. The table was touched before its folder was made, so the transaction's
      // rollback removes the folder and the files moved into it (a table without a log).
      throw new java.io.UncheckedIOException("could not move the new files of " + table + " into " + dir, e);
    }
    lakehouse.register(spark, table);
    return new TableWrite(table, TableWrite.NO_VERSION, version, rows, 0, 0);
  }

  private TableWrite create(Dataset<Row> source, TableId table) {
    String[] partitionBy = partitioning.getOrDefault(table, new String[0]);
    var write = source.write().format("delta").mode("errorifexists").partitionBy(partitionBy);
    if (statsColumns.containsKey(table)) {
      write = write.option("delta.dataSkippingStatsColumns", statsColumns.get(table));
    }
    write.save(lakehouse.tablePath(table).toString());
    lakehouse.register(spark, table);
    return lastWrite(table, TableWrite.NO_VERSION);
  }

  private TableWrite lastWrite(TableId table, long before) {
    // The commit's own log entry, read from the Delta log on the driver: history(1) would start a Spark job per write.
    long version = lakehouse.version(spark, table).orElseThrow();
    org.apache.spark.sql.delta.actions.CommitInfo info = lakehouse.commits(spark, table, version).get(version);
    Map<String, String> metrics = info == null || info.operationMetrics().isEmpty() ? Map.of()
        : scala.collection.JavaConverters.mapAsJavaMap(info.operationMetrics().get());
    return new TableWrite(
        table,
        before,
        version,
        metric(metrics, "numTargetRowsInserted", "numOutputRows"),
        metric(metrics, "numTargetRowsUpdated", null),
        metric(metrics, "numTargetRowsDeleted", null));
  }

  private static long metric(Map<String, String> metrics, String name, String fallback) {
    String value = metrics.get(name);
    if (value == null && fallback != null) {
      value = metrics.get(fallback);
    }
    return value == null ? 0L : Long.parseLong(value);
  }

  private static Column[] keyAndHash(List<String> keys, String hashColumn) {
    return seqList(keys, hashColumn).stream().map(c -> col(c)).toArray(Column[]::new);
  }

  private static Column[] columns(List<String> names) {
    return names.stream().map(c -> col(c)).toArray(Column[]::new);
  }

  private static scala.collection.Seq<String> seq(List<String> keys, String extra) {
    return scala.collection.JavaConverters.asScalaBuffer(seqList(keys, extra)).toSeq();
  }

  private static List<String> seqList(List<String> keys, String extra) {
    List<String> all = new java.util.ArrayList<>(keys);
    if (extra != null) {
      all.add(extra);
    }
    return all;
  }
}
