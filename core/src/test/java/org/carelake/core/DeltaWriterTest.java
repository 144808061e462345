package org.carelake.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SparkExtension.class)
class DeltaWriterTest {

  private static final StructType SCHEMA = DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
      DataTypes.createStructField("id", DataTypes.StringType, false),
      DataTypes.createStructField("value", DataTypes.IntegerType, true),
      DataTypes.createStructField("hash", DataTypes.StringType, false),
      DataTypes.createStructField("version", DataTypes.IntegerType, true)});

  private static Dataset<Row> rows(SparkSession spark, Object[]... values) {
    return spark.createDataFrame(java.util.Arrays.stream(values).map(RowFactory::create).toList(), SCHEMA);
  }

  /** A run that writes one row to a table and commits: the last good version a later failed run returns to. */
  private static void committed(SparkSession spark, Lakehouse lakehouse, TableId table, Object[] row) {
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      new DeltaWriter(spark, lakehouse, tx).upsert(rows(spark, row), table, List.of("id"), "hash", null);
      tx.commit();
    }
  }

  /** A run that makes its writes and then fails before it commits. */
  private static void failedRun(SparkSession spark, Lakehouse lakehouse, java.util.function.Consumer<DeltaWriter> writes) {
    assertThatThrownBy(() -> {
      try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
        writes.accept(new DeltaWriter(spark, lakehouse, tx));
        throw new IllegalStateException("simulated failure after the run's writes");
      }
    }).hasMessageContaining("simulated failure");
  }

  @Test
  void upsertIsIdempotentAndOnlyNewerRowsReplaceOlderOnes(SparkSession spark, @TempDir Path dir) {
    Lakehouse lakehouse = new Lakehouse(dir);
    TableId table = TableId.silver("thing");
    String newer = "s.version >= t.version";
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      DeltaWriter writer = new DeltaWriter(spark, lakehouse, tx);
      TableWrite first = writer.upsert(rows(spark, new Object[] {"a", 1, "h1", 1}, new Object[] {"b", 2, "h2", 1}), table, List.of("id"), "hash", newer);
      assertThat(first.inserted()).isEqualTo(2);
      TableWrite again = writer.upsert(rows(spark, new Object[] {"a", 1, "h1", 1}, new Object[] {"b", 2, "h2", 1}), table, List.of("id"), "hash", newer);
      assertThat(again.changed()).as("same input: no new commit").isFalse();
      TableWrite update = writer.upsert(rows(spark, new Object[] {"a", 10, "h1b", 2}, new Object[] {"b", 20, "h2b", 0}), table, List.of("id"), "hash", newer);
      assertThat(update.updated()).as("only the newer version of a replaces it").isEqualTo(1);
      tx.commit();
    }
    List<Row> result = lakehouse.read(spark, table).orderBy("id").collectAsList();
    assertThat(result).extracting(r -> r.getString(0) + "=" + r.getInt(1)).containsExactly("a=10", "b=2");
  }

  @Test
  void failedRunRestoresTouchedTablesAndRemovesCreatedOnes(SparkSession spark, @TempDir Path dir) {
    Lakehouse lakehouse = new Lakehouse(dir);
    TableId existing = TableId.silver("existing");
    TableId created = TableId.silver("created");
    committed(spark, lakehouse, existing, new Object[] {"a", 1, "h1", 1});
    failedRun(spark, lakehouse, writer -> {
      writer.upsert(rows(spark, new Object[] {"a", 99, "h9", 2}, new Object[] {"z", 5, "h5", 1}), existing, List.of("id"), "hash", null);
      writer.upsert(rows(spark, new Object[] {"q", 1, "hq", 1}), created, List.of("id"), "hash", null);
    });

    assertThat(lakehouse.read(spark, existing).collectAsList()).extracting(r -> r.getString(0) + "=" + r.getInt(1))
        .as("contents back at the last good version").containsExactly("a=1");
    assertThat(lakehouse.exists(created)).as("table created by the failed run is gone").isFalse();
  }

  @Test
  void failedRunDoesNotDiscardWhatAnotherProcessCommittedMeanwhile(SparkSession spark, @TempDir Path dir) {
    Lakehouse lakehouse = new Lakehouse(dir);
    TableId shared = TableId.ops("shared");
    TableId mine = TableId.silver("mine");
    committed(spark, lakehouse, shared, new Object[] {"a", 1, "h1", 1});
    committed(spark, lakehouse, mine, new Object[] {"m", 1, "hm", 1});
    failedRun(spark, lakehouse, writer -> {
      writer.upsert(rows(spark, new Object[] {"b", 2, "h2", 1}), shared, List.of("id"), "hash", null);
      writer.upsert(rows(spark, new Object[] {"n", 2, "hn", 1}), mine, List.of("id"), "hash", null);
      // another process (its own writer tag) appends to the shared table while this run is still going
      rows(spark, new Object[] {"c", 3, "h3", 1}).write().format("delta").mode("append")
          .option("userMetadata", "carelake pid 1 another-process").save(lakehouse.tablePath(shared).toString());
    });

    assertThat(lakehouse.read(spark, shared).collectAsList()).extracting(r -> r.getString(0))
        .as("not restored: that would have discarded the other process's commit").containsExactlyInAnyOrder("a", "b", "c");
    assertThat(lakehouse.read(spark, mine).collectAsList()).extracting(r -> r.getString(0))
        .as("a table only this run wrote is still rolled back").containsExactly("m");
    assertThat(spark.sql("DESCRIBE HISTORY delta.`" + lakehouse.tablePath(mine) + "`").select("userMetadata").collectAsList())
        .as("every commit names its process").allSatisfy(r -> assertThat(r.getString(0)).isEqualTo(
            org.carelake.core.spark.SparkSessions.WRITER_TAG));
  }

  @Test
  void replaceOfIdenticalContentMakesNoCommit(SparkSession spark, @TempDir Path dir) {
    Lakehouse lakehouse = new Lakehouse(dir);
    TableId table = TableId.gold("derived");
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      DeltaWriter writer = new DeltaWriter(spark, lakehouse, tx);
      writer.replace(rows(spark, new Object[] {"a", 1, "h", 1}), table);
      assertThat(writer.replace(rows(spark, new Object[] {"a", 1, "h", 1}), table).changed()).isFalse();
      assertThat(writer.replace(rows(spark, new Object[] {"a", 2, "h", 1}), table).changed()).isTrue();
      tx.commit();
    }
    lakehouse.registerTables(spark);
    assertThat(spark.sql("SELECT value FROM gold.derived").head().getInt(0)).as("reachable by SQL by name").isEqualTo(2);
  }
}
