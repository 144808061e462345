package org.carelake.pipelines.quality;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.filter;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.when;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.DeltaWriter;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.TableId;

/**
 * The {@code quarantine} action: rows of a table that fail a row-level rule of a check with that
 * action move, in one transaction, to {@code bronze.quality_quarantine} (with the table, key, the
 * names of every rule they failed, the row as JSON, the Delta version they were read at and the
 * run) and out of the table, so {@code rows before = rows after + quarantined}.
 */
final class QualityQuarantine {

  static final TableId TABLE = TableId.bronze("quality_quarantine");

  private QualityQuarantine() {}

  /** Moves the failing rows; returns how many moved (0: nothing written). */
  static long move(SparkSession spark, Lakehouse lakehouse, TableSuite suite, long version, String runId, LakehouseTransaction outer) {
    Dataset<Row> rows = lakehouse.readAt(spark, suite.table(), version);
    List<String> original = List.of(rows.columns());
    Dataset<Row> prepared = suite.prepare().apply(rows);
    List<Column> verdicts = new ArrayList<>();
    for (TableSuite.QuarantineRule r : suite.quarantine()) {
      verdicts.add(when(expr("coalesce(" + r.passes() + ", false)"), lit(null)).otherwise(lit(r.name())));
    }
    Dataset<Row> failed = prepared
        .withColumn("failed_rules", filter(array(verdicts.toArray(new Column[0])), x -> x.isNotNull()))
        .where(size(col("failed_rules")).gt(0))
        .select(lit(suite.table().qualifiedName()).as("table_name"), col(suite.key()).cast("string").as("row_key"), col("failed_rules"),
            to_json(struct(original.stream().map(c -> col(c)).toArray(Column[]::new))).as("row_json"),
            lit(version).as("delta_version"), lit(runId).as("run_id"), lit(Timestamp.from(Instant.now())).as("quarantined_at"))
        .localCheckpoint(true);
    long n = failed.count();
    if (n == 0) {
      return 0;
    }
    if (outer != null) {
      // Part of a pipeline step's transaction: if the step fails later, the rows return to the table and leave the quarantine.
      write(spark, lakehouse, outer, failed, suite);
      return n;
    }
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      write(spark, lakehouse, tx, failed, suite);
      tx.commit();
    }
    return n;
  }

  private static void write(SparkSession spark, Lakehouse lakehouse, LakehouseTransaction tx, Dataset<Row> failed, TableSuite suite) {
    DeltaWriter writer = new DeltaWriter(spark, lakehouse, tx);
    writer.append(failed, TABLE);
    writer.delete(failed.select(col("row_key").as(suite.key())), suite.table(), List.of(suite.key()));
  }
}
