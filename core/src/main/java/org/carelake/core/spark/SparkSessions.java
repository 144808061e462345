package org.carelake.core.spark;

import org.apache.spark.sql.SparkSession;

/** Builds the SparkSession every CareLake process uses: Delta enabled, UTC, quiet. */
public final class SparkSessions {

  /**
   * Columns that hold a new value on (nearly) every row, written without Parquet's dictionary:
   * measurement times, source offsets, raw FHIR JSON, content hashes and resource ids fill the
   * dictionary within a page, which Parquet then throws away after hashing every value into it
   * (about 5% of a wearable ingest's CPU; for raw JSON, hashes and compares of kilobyte strings).
   * Parquet's per-column setting ({@code parquet.enable.dictionary#column}); the session's
   * settings reach every write's Hadoop configuration, Delta writes included. The files are no
   * larger: with unique values those columns ended up plain anyway.
   */
  public static final java.util.List<String> PLAIN_COLUMNS =
      java.util.List.of("start_time", "end_time", "source_position", "raw_json", "content_hash", "resource_id");

  /**
   * Delta's commit-info field every commit of this session carries: {@link #WRITER_TAG}. It names the
   * process in {@code DESCRIBE HISTORY}, and tells a failed run's rollback which commits are its own.
   */
  public static final String WRITER_CONF = "spark.databricks.delta.commitInfo.userMetadata";

  /** This process's writer tag: its pid and a random id (pids are reused). */
  public static final String WRITER_TAG = "carelake pid " + ProcessHandle.current().pid() + " " + java.util.UUID.randomUUID();

  /** Generated classes Spark keeps compiled (Spark's default: 100). */
  public static final int GENERATED_CLASSES = 1000;

  private SparkSessions() {}

  /**
   * @param master Spark master URL, e.g. {@code local[*]}
   * @param shufflePartitions shuffle partitions; small on a laptop-sized machine
   */
  public static SparkSession create(String master, String appName, int shufflePartitions) {
    SparkSession spark = SparkSession.builder()
        .master(master)
        .appName(appName)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", String.valueOf(shufflePartitions))
        .config("spark.default.parallelism", String.valueOf(Math.max(2, shufflePartitions)))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.adaptive.enabled", "true")
        // Cached data here is short-lived and re-read at once (e.g. an ingest's parse feeds a dozen
        // tables): compressing the in-memory columns costs more time than it saves.
        .config("spark.sql.inMemoryColumnarStorage.compressed", "false")
        // Partitioned tables (wearable measurements by date, variants and calls by contig) receive
        // rows already grouped by partition within each task: a writer per partition value spares
        // the sort Spark otherwise puts before a partitioned write (it falls back to sorting above 32).
        .config("spark.sql.maxConcurrentOutputFileWriters", "32")
        // Timestamps as Parquet's int64 microseconds, not the legacy INT96 (a 12-byte binary built
        // per value): writing wearable measurements about 2 s (20%) faster.
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        // Local paths without a chmod / readlink child process per file created or renamed.
        .config("spark.hadoop.fs.file.impl", LocalFileSystemWithoutForks.class.getName())
        .config("spark.hadoop.fs.AbstractFileSystem.file.impl", LocalFileSystemWithoutForks.Fs.class.getName())
        // Spark keeps 100 classes it generated and compiled for queries; one wearable ingest plans
        // more than that, so each run (and a later daily rebuild) compiled its queries again with
        // Janino, and the JVM compiled the new classes to machine code again. Measured in one JVM
        // alternating ingests and rebuilds: ingest 12-13 s -> 10 s, rebuild 3.0-3.7 s -> 1.7-1.8 s.
        // A class is tens of kilobytes of metaspace.
        .config("spark.sql.codegen.cache.maxEntries", String.valueOf(GENERATED_CLASSES))
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.databricks.delta.stalenessLimit", "0")
        // Delta's own usage-stats and auto-compaction stay off: runs are reproducible batch jobs.
        .config("spark.databricks.delta.schema.autoMerge.enabled", "false")
        .config("spark.sql.warehouse.dir", System.getProperty("java.io.tmpdir") + "/carelake-warehouse")
        .getOrCreate();
    for (String column : PLAIN_COLUMNS) {
      spark.conf().set("parquet.enable.dictionary#" + column, "false");
    }
    spark.conf().set(WRITER_CONF, WRITER_TAG);
    spark.sparkContext().setLogLevel("WARN");
    return spark;
  }

  /** A setting in force until {@link #close()} puts the previous value back. */
  public interface Setting extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Sets a session setting for the queries run before the returned scope closes, then restores the
   * previous value (or unsets it). For a job's own queries only: a query another thread plans on
   * the same session meanwhile would see it too.
   */
  public static Setting set(SparkSession spark, String key, String value) {
    scala.Option<String> previous = spark.conf().getOption(key);
    spark.conf().set(key, value);
    return () -> {
      if (previous.isDefined()) {
        spark.conf().set(key, previous.get());
      } else {
        spark.conf().unset(key);
      }
    };
  }
}
