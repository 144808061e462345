package org.carelake.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.carelake.core.report.Reports;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SparkExtension.class)
class TableFilesTest {

  private static final StructType SCHEMA = DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
      DataTypes.createStructField("id", DataTypes.StringType, false),
      DataTypes.createStructField("value", DataTypes.IntegerType, true),
      DataTypes.createStructField("note", DataTypes.StringType, true)});

  private static final TableId TABLE = TableId.silver("table_files_test");

  /** Writes ids 0..n-1 in {@code tasks} Spark tasks and returns their files. */
  private static List<TableFiles.File> write(SparkSession spark, TableFiles files, int n, int tasks) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(i);
    }
    // Run as a caller must (see TableFiles): with the session's SQL settings in the tasks.
    scala.Function0<List<TableFiles.File>> job = () -> JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(ids, tasks).mapPartitionsWithIndex(
        (Integer partition, Iterator<Integer> it) -> {
          TableFiles.Writer writer = files.open(partition, 0);
          GenericInternalRow row = new GenericInternalRow(3);
          while (it.hasNext()) {
            int id = it.next();
            row.update(0, UTF8String.fromString(String.format("id-%04d", id)));
            row.update(1, id % 7 == 0 ? null : id);
            row.update(2, UTF8String.fromString("note " + (id % 3)));
            writer.write(row);
          }
          TableFiles.File file = writer.close();
          return file == null ? java.util.Collections.emptyIterator() : List.of(file).iterator();
        }, false).collect();
    return org.apache.spark.sql.execution.SQLExecution.withSQLConfPropagated(spark, job);
  }

  @Test
  void filesWrittenByTasksBecomeANewTableWithDeltaStatistics(SparkSession spark, @TempDir Path root, @TempDir Path staging)
      throws IOException {
    Lakehouse lakehouse = new Lakehouse(root);
    TableFiles files = TableFiles.prepare(spark, lakehouse, TABLE, SCHEMA, new String[] {"id"}, staging, "id");
    assertThat(files.forNewTable()).isTrue();
    List<TableFiles.File> written = write(spark, files, 250, 3);
    assertThat(written).hasSize(3);
    // A task without rows for the table writes no file.
    assertThat(files.open(9, 0).close()).isNull();
    assertThat(written.stream().mapToLong(TableFiles.File::rows).sum()).isEqualTo(250);

    TableWrite result;
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      result = new DeltaWriter(spark, lakehouse, tx).create(files, written);
      tx.commit();
    }
    assertThat(result.versionBefore()).isEqualTo(TableWrite.NO_VERSION);
    assertThat(result.versionAfter()).isZero();
    assertThat(result.inserted()).isEqualTo(250);

    List<Row> rows = lakehouse.read(spark, TABLE).orderBy("id").collectAsList();
    assertThat(rows).hasSize(250);
    assertThat(rows.get(0)).isEqualTo(RowFactory.create("id-0000", null, "note 0"));
    assertThat(rows.get(249)).isEqualTo(RowFactory.create("id-0249", 249, "note 0"));
    // Registered for SQL, and stored nullable as Delta's own writes store a new table.
    assertThat(spark.sql("SELECT count(*) FROM " + TABLE.qualifiedName()).first().getLong(0)).isEqualTo(250);
    assertThat(lakehouse.read(spark, TABLE).schema().fields()[0].nullable()).isTrue();

    // The commit carries each file's statistics for the configured column only, and the table's setting.
    Path commit = lakehouse.tablePath(TABLE).resolve("_delta_log").resolve(String.format("%020d.json", 0));
    long adds = 0;
    for (String line : Files.readAllLines(commit)) {
      JsonNode action = Reports.JSON.readTree(line);
      if (action.has("add")) {
        adds++;
        JsonNode stats = Reports.JSON.readTree(action.get("add").get("stats").asText());
        assertThat(stats.get("numRecords").asLong()).isPositive();
        assertThat(stats.get("minValues").fieldNames()).toIterable().containsExactly("id");
        assertThat(Files.exists(lakehouse.tablePath(TABLE).resolve(action.get("add").get("path").asText()))).isTrue();
      }
      if (action.has("metaData")) {
        assertThat(action.get("metaData").get("configuration").get("delta.dataSkippingStatsColumns").asText()).isEqualTo("id");
      }
    }
    assertThat(adds).isEqualTo(3);
    // Moved, not copied: nothing is left in the staging folder.
    try (Stream<Path> left = Files.walk(staging)) {
      assertThat(left.filter(p -> p.toString().endsWith(".parquet")).toList()).isEmpty();
    }
  }

  @Test
  void filesForATableThatExistsAreAMergeSourceNotANewVersion(SparkSession spark, @TempDir Path root, @TempDir Path staging) {
    Lakehouse lakehouse = new Lakehouse(root);
    TableFiles first = TableFiles.prepare(spark, lakehouse, TABLE, SCHEMA, new String[] {"id"}, staging);
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      new DeltaWriter(spark, lakehouse, tx).create(first, write(spark, first, 10, 1));
      tx.commit();
    }
    TableFiles again = TableFiles.prepare(spark, lakehouse, TABLE, SCHEMA, new String[] {"id"}, staging);
    assertThat(again.forNewTable()).isFalse();
    List<TableFiles.File> written = write(spark, again, 20, 2);
    assertThat(again.read(spark, written).count()).isEqualTo(20);
    assertThat(again.read(spark, List.of()).count()).isZero();
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      DeltaWriter writer = new DeltaWriter(spark, lakehouse, tx);
      assertThatThrownBy(() -> writer.create(again, written)).isInstanceOf(IllegalStateException.class).hasMessageContaining("exists");
    }
    assertThat(lakehouse.version(spark, TABLE)).contains(0L);
    assertThat(lakehouse.read(spark, TABLE).count()).isEqualTo(10);
  }

  @Test
  void aFailedRunRemovesTheTableItCreatedFromFiles(SparkSession spark, @TempDir Path root, @TempDir Path staging) {
    Lakehouse lakehouse = new Lakehouse(root);
    TableFiles files = TableFiles.prepare(spark, lakehouse, TABLE, SCHEMA, new String[] {"id"}, staging);
    List<TableFiles.File> written = write(spark, files, 30, 2);
    assertThatThrownBy(() -> {
      try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
        new DeltaWriter(spark, lakehouse, tx).create(files, written);
        throw new IllegalStateException("simulated failure after the write");
      }
    }).hasMessageContaining("simulated failure");
    assertThat(lakehouse.exists(TABLE)).isFalse();
    assertThat(Files.exists(lakehouse.tablePath(TABLE))).isFalse();
  }

  @Test
  void aCreateThatFailsAfterMovingSomeFilesLeavesNoFolderOnceItsRunEnds(SparkSession spark, @TempDir Path root, @TempDir Path staging) {
    Lakehouse lakehouse = new Lakehouse(root);
    TableFiles files = TableFiles.prepare(spark, lakehouse, TABLE, SCHEMA, new String[] {"id"}, staging);
    List<TableFiles.File> written = new java.util.ArrayList<>(write(spark, files, 30, 2));
    written.add(new TableFiles.File(staging.resolve("vanished.parquet").toString(), 1, 1, null));
    assertThatThrownBy(() -> {
      try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
        new DeltaWriter(spark, lakehouse, tx).create(files, written);
      }
    }).hasMessageContaining("could not move the new files of " + TABLE);
    assertThat(lakehouse.exists(TABLE)).isFalse();
    assertThat(Files.exists(lakehouse.tablePath(TABLE))).as("the files moved before the failure went with the rollback").isFalse();
  }

  @Test
  void aRunKilledAfterMovingFilesButBeforeItsCommitLeavesNoFolderBehind(SparkSession spark, @TempDir Path root)
      throws IOException, InterruptedException {
    Lakehouse lakehouse = new Lakehouse(root);
    // What a killed DeltaWriter#create leaves: the table journaled as created by the run, its folder
    // holding a moved data file, no Delta log.
    new LakehouseTransaction(spark, lakehouse, org.carelake.core.testing.LeftBehind.stoppedProcess())
        .touch(TABLE, java.util.Optional.empty());
    Files.createDirectories(lakehouse.tablePath(TABLE));
    Files.writeString(lakehouse.tablePath(TABLE).resolve("part-00000-moved.snappy.parquet"), "not committed");

    List<String> lines = LakehouseTransaction.recoverAbandoned(spark, lakehouse);
    assertThat(lines).singleElement().asString().contains(TABLE.toString(), "uncommitted files removed");
    assertThat(Files.exists(lakehouse.tablePath(TABLE))).isFalse();
  }
}
