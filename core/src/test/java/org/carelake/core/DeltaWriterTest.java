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
import org.carelake.core.spark.SparkSessions;
import org.carelake.core.testing.LeftBehind;
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

  /**
   * A run of another process that makes its writes and is killed before it commits or rolls back:
   * its transaction is never closed, and its commits carry that process's writer tag.
   */
  private static void killedRun(SparkSession spark, Lakehouse lakehouse, ProcessOwner owner,
      java.util.function.Consumer<DeltaWriter> writes) {
    spark.conf().set(SparkSessions.WRITER_CONF, "carelake pid " + owner.pid() + " killed-run");
    try {
      writes.accept(new DeltaWriter(spark, lakehouse, new LakehouseTransaction(spark, lakehouse, owner)));
    } finally {
      spark.conf().set(SparkSessions.WRITER_CONF, SparkSessions.WRITER_TAG);
    }
  }

  private static List<TransactionJournal.Entry> journals(Lakehouse lakehouse) {
    return TransactionJournal.all(lakehouse, problem -> {
      throw new AssertionError(problem);
    });
  }

  private static List<String> names(SparkSession spark, Lakehouse lakehouse, TableId table) {
    return lakehouse.read(spark, table).collectAsList().stream().map(r -> r.getString(0)).toList();
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
    assertThat(journals(lakehouse)).as("rolled back: nothing left for a later process to do").isEmpty();
  }

  @Test
  void runKilledBeforeItCommittedIsRolledBackByTheNextProcess(SparkSession spark, @TempDir Path dir) throws Exception {
    Lakehouse lakehouse = new Lakehouse(dir);
    TableId existing = TableId.silver("existing");
    TableId created = TableId.silver("created");
    TableId shared = TableId.ops("shared");
    committed(spark, lakehouse, existing, new Object[] {"a", 1, "h1", 1});
    committed(spark, lakehouse, shared, new Object[] {"s", 1, "hs", 1});
    assertThat(journals(lakehouse)).as("committed runs leave no journal").isEmpty();
    long existingBefore = lakehouse.version(spark, existing).orElseThrow();

    ProcessOwner gone = LeftBehind.stoppedProcess();
    killedRun(spark, lakehouse, gone, writer -> {
      writer.upsert(rows(spark, new Object[] {"a", 99, "h9", 2}, new Object[] {"z", 5, "h5", 1}), existing, List.of("id"), "hash", null);
      writer.upsert(rows(spark, new Object[] {"q", 1, "hq", 1}), created, List.of("id"), "hash", null);
      writer.upsert(rows(spark, new Object[] {"t", 1, "ht", 1}), shared, List.of("id"), "hash", null);
    });
    // a task running beside the killed one appends to the shared table after it
    rows(spark, new Object[] {"c", 3, "h3", 1}).write().format("delta").mode("append")
        .option("userMetadata", "carelake pid 1 another-process").save(lakehouse.tablePath(shared).toString());
    assertThat(journals(lakehouse)).singleElement().satisfies(journal ->
        assertThat(journal.versionsBefore()).containsOnlyKeys(existing, created, shared));

    List<String> recovered = LakehouseTransaction.recoverAbandoned(spark, lakehouse);

    assertThat(recovered).singleElement().asString().contains("process " + gone.pid(), "stopped before it committed",
        "silver.existing restored to version " + existingBefore, "silver.created removed", "ops.shared left as it is");
    assertThat(lakehouse.read(spark, existing).collectAsList()).extracting(r -> r.getString(0) + "=" + r.getInt(1))
        .as("back at the last good version").containsExactly("a=1");
    assertThat(lakehouse.exists(created)).as("the table the killed run created is gone").isFalse();
    assertThat(names(spark, lakehouse, shared)).as("not restored: that would discard the other task's commit")
        .containsExactlyInAnyOrder("s", "t", "c");
    assertThat(journals(lakehouse)).as("journal removed once its rollback is done").isEmpty();
    assertThat(LakehouseTransaction.recoverAbandoned(spark, lakehouse)).as("nothing left to recover").isEmpty();
  }

  @Test
  void runOfAProcessThatStillRunsOrRunsElsewhereIsLeftAlone(SparkSession spark, @TempDir Path dir) {
    Lakehouse lakehouse = new Lakehouse(dir);
    TableId mine = TableId.silver("mine");
    TableId theirs = TableId.silver("theirs");
    committed(spark, lakehouse, theirs, new Object[] {"r", 1, "hr", 1});
    ProcessOwner elsewhere = new ProcessOwner(1, null, "another-host");
    killedRun(spark, lakehouse, elsewhere, writer ->
        writer.upsert(rows(spark, new Object[] {"e", 1, "he", 1}), theirs, List.of("id"), "hash", null));
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      new DeltaWriter(spark, lakehouse, tx).upsert(rows(spark, new Object[] {"m", 1, "hm", 1}), mine, List.of("id"), "hash", null);

      assertThat(LakehouseTransaction.recoverAbandoned(spark, lakehouse)).singleElement().asString()
          .startsWith("Left alone").contains("another-host", "put back silver.theirs at version 0");
      assertThat(names(spark, lakehouse, mine)).as("this process's open run is not rolled back under it").containsExactly("m");
      assertThat(names(spark, lakehouse, theirs)).as("nor another host's").containsExactlyInAnyOrder("r", "e");
      tx.commit();
    }
    assertThat(journals(lakehouse)).as("only the other host's journal is left")
        .singleElement().extracting(journal -> journal.owner().host()).isEqualTo("another-host");
  }

  @Test
  void journalThatCannotBeReadIsReportedAndStopsNothing(SparkSession spark, @TempDir Path dir) throws Exception {
    Lakehouse lakehouse = new Lakehouse(dir);
    Path edited = java.nio.file.Files.createDirectories(dir.resolve("_transactions")).resolve("tx-0123abcd.json");
    java.nio.file.Files.writeString(edited, "{\"pid\": ");

    assertThat(LakehouseTransaction.recoverAbandoned(spark, lakehouse)).singleElement().asString()
        .contains("The transaction journal " + edited + " cannot be read", "by hand", "then delete it");
    assertThat(edited).as("kept for the person who checks it").exists();
  }

  @Test
  void aProcessIsAliveOnlyWithItsPidAndItsStartTime() throws Exception {
    ProcessOwner self = ProcessOwner.current();
    assertThat(self.aliveOnThisHost()).isTrue();
    assertThat(new ProcessOwner(self.pid(), "2001-01-01T00:00:00Z", self.host()).aliveOnThisHost())
        .as("the same pid, started at another time: the pid was reused").isFalse();
    assertThat(LeftBehind.stoppedProcess().aliveOnThisHost()).isFalse();
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

  @Test
  void mergeIntoATableOfAnotherLayoutFailsNamingTheColumnsAndChangesNothing(SparkSession spark, @TempDir Path dir) {
    Lakehouse lakehouse = new Lakehouse(dir);
    TableId table = TableId.silver("thing");
    // As an earlier release wrote it: a unit column this release no longer has, value as a string, no version column.
    Dataset<Row> old = spark.createDataFrame(List.of(RowFactory.create("a", "1", "h1", "bpm")), new StructType()
        .add("id", DataTypes.StringType, false).add("value", DataTypes.StringType).add("hash", DataTypes.StringType, false)
        .add("unit", DataTypes.StringType));
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      new DeltaWriter(spark, lakehouse, tx).append(old, table);
      tx.commit();
    }
    long version = lakehouse.version(spark, table).orElseThrow();
    Dataset<Row> current = rows(spark, new Object[] {"a", 2, "h2", 1}, new Object[] {"b", 3, "h3", 1});

    List<java.util.function.Consumer<DeltaWriter>> merges = List.of(
        writer -> writer.upsert(current, table, List.of("id"), "hash", null),
        writer -> writer.upsertCompared(current, table, List.of("id"), List.of("value", "version")),
        writer -> writer.upsertRows(current, table, List.of("id")));
    for (java.util.function.Consumer<DeltaWriter> merge : merges) {
      assertThatThrownBy(() -> {
        try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
          merge.accept(new DeltaWriter(spark, lakehouse, tx));
          tx.commit();
        }
      }).isInstanceOfSatisfying(CareLakeException.class, e -> {
        assertThat(e.kind()).isEqualTo(CareLakeException.Kind.BAD_INPUT);
        assertThat(e.problem()).contains("silver.thing", lakehouse.tablePath(table).toString(), "lacks version",
            "has unit, which this release does not write", "value (stored string, written int)");
        assertThat(e.fix()).contains("another CareLake release", "--force");
      });
    }
    assertThat(lakehouse.version(spark, table)).as("no commit").contains(version);
    assertThat(lakehouse.read(spark, table).collectAsList()).extracting(r -> r.getString(0) + "=" + r.getString(1) + " " + r.getString(3))
        .containsExactly("a=1 bpm");
  }
}
