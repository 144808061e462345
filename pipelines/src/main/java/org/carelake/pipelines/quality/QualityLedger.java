package org.carelake.pipelines.quality;

import static org.apache.spark.sql.functions.col;

import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.Lakehouse;
import org.carelake.core.TableId;

/** Reads recorded quality verdicts: what the latest check of a table at a given Delta version said. */
public final class QualityLedger {

  private final SparkSession spark;
  private final Lakehouse lakehouse;

  public QualityLedger(SparkSession spark, Lakehouse lakehouse) {
    this.spark = spark;
    this.lakehouse = lakehouse;
  }

  /**
   * PASS, WARN or FAIL from the latest run that checked this version, or null if none did. A version
   * made by restoring an earlier one (a failed step's rollback) has that version's content, and so
   * its verdict.
   */
  public String verdict(TableId table, long version) {
    String recorded = recorded(table, version);
    if (recorded != null) {
      return recorded;
    }
    Long restored = restoredFrom(table, version);
    return restored == null ? null : verdict(table, restored);
  }

  private Long restoredFrom(TableId table, long version) {
    if (!lakehouse.exists(table)) {
      return null;
    }
    List<Row> commit = io.delta.tables.DeltaTable.forPath(spark, lakehouse.tablePath(table).toString()).history()
        .where(col("version").equalTo(version)).select("operation", "operationParameters").collectAsList();
    if (commit.isEmpty() || !"RESTORE".equals(commit.get(0).getString(0))) {
      return null;
    }
    Object restored = commit.get(0).getJavaMap(1).get("version");
    return restored == null ? null : Long.valueOf(restored.toString());
  }

  private String recorded(TableId table, long version) {
    if (!lakehouse.exists(QualityRunner.RESULTS)) {
      return null;
    }
    List<Row> rows = lakehouse.read(spark, QualityRunner.RESULTS)
        .filter(col("table_name").equalTo(table.qualifiedName()).and(col("delta_version").equalTo(version)))
        .orderBy(col("run_time").desc())
        .select("table_verdict")
        .limit(1)
        .collectAsList();
    return rows.isEmpty() ? null : rows.get(0).getString(0);
  }
}
