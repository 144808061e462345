package org.carelake.pipelines.wearable;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * The wearable parse's rows, kept for the jobs that read them (the reconciliation counts, silver,
 * the quarantine, the daily table) as the parser built them: Spark's internal rows held by
 * reference, spilled to disk (serialized) only when memory runs short.
 *
 * <p>Not {@code Dataset.persist()}: Spark's DataFrame cache re-encodes every row into column
 * buffers, copying each value once per row, including the strings the parser shares between a
 * task's rows (patient and device keys, source file, unit, zone). For 5.2 million measurements on
 * 2 cores that took longer than the parse (about 11 s for both against 3-5 s for the parse
 * alone); keeping the parser's rows costs the parse and the garbage collector's work of holding
 * them. It suits these narrow rows of shared strings, not every parse: the VCF parse, whose rows
 * hold a nested call object per sample, ingested 2.5 times slower kept this way (60 s against
 * 24 s), so it stays on the DataFrame cache. The rows given must be new objects per row, never
 * mutated afterwards (not a reused {@code UnsafeRow}).
 */
final class KeptRows implements AutoCloseable {

  private final RDD<InternalRow> kept;
  private final Dataset<Row> rows;

  private KeptRows(RDD<InternalRow> kept, Dataset<Row> rows) {
    this.kept = kept;
    this.rows = rows;
  }

  /** Keeps {@code rows} (of {@code schema}) from the first job that computes them until {@link #close()}. */
  static KeptRows of(SparkSession spark, RDD<InternalRow> rows, StructType schema) {
    return of(spark, rows, schema, StorageLevel.MEMORY_AND_DISK());
  }

  /** As {@link #of(SparkSession, RDD, StructType)}, at a given storage level (tests use disk to show rows survive a spill). */
  static KeptRows of(SparkSession spark, RDD<InternalRow> rows, StructType schema, StorageLevel level) {
    RDD<InternalRow> kept = rows.persist(level);
    return new KeptRows(kept, spark.internalCreateDataFrame(kept, schema, false));
  }

  /** The kept rows; every query over them reads the kept rows once a job has computed them. */
  Dataset<Row> rows() {
    return rows;
  }

  /** Whether the rows are kept (false once closed). */
  boolean kept() {
    return kept.getStorageLevel().isValid();
  }

  /**
   * Releases the kept rows (memory and spilled blocks), waiting until they are gone: a release still
   * running when the command ends would fail against the stopped Spark context.
   */
  @Override
  public void close() {
    kept.unpersist(true);
  }
}
