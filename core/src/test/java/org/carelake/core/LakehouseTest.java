package org.carelake.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.TableIdentifier;
import org.apache.spark.sql.catalyst.catalog.CatalogTable;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import scala.Option;

@ExtendWith(SparkExtension.class)
class LakehouseTest {

  private static CatalogTable entry(SparkSession spark, String db, String name) throws Exception {
    return spark.sessionState().catalog().getTableMetadata(new TableIdentifier(name, Option.apply(db)));
  }

  private static void write(SparkSession spark, Lakehouse lakehouse, TableId table, int value) {
    spark.sql("SELECT " + value + " AS value, 'x' AS name").write().format("delta").mode("overwrite")
        .save(lakehouse.tablePath(table).toString());
  }

  @Test
  void registrationStoresWhatDeltasOwnCreateTableStores(SparkSession spark, @TempDir Path dir) throws Exception {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lake with a space's quote"));
    TableId ours = TableId.silver("lakehouse_test_ours");
    TableId theirs = TableId.silver("lakehouse_test_sql");
    write(spark, lakehouse, ours, 1);
    write(spark, lakehouse, theirs, 2);
    lakehouse.register(spark, ours);
    spark.sql("CREATE TABLE " + theirs.qualifiedName() + " USING delta LOCATION '"
        + lakehouse.tablePath(theirs).toString().replace("'", "\\'") + "'");

    CatalogTable a = entry(spark, "silver", ours.name());
    CatalogTable b = entry(spark, "silver", theirs.name());
    assertThat(a.provider()).isEqualTo(b.provider());
    assertThat(a.tableType()).isEqualTo(b.tableType());
    assertThat(a.schema()).as("the schema stays in the Delta log").isEqualTo(b.schema());
    assertThat(a.properties()).isEqualTo(b.properties());
    assertThat(a.partitionColumnNames()).isEqualTo(b.partitionColumnNames());
    assertThat(a.tracksPartitionsInCatalog()).isEqualTo(b.tracksPartitionsInCatalog());
    assertThat(a.storage().locationUri().get().toString())
        .isEqualTo(b.storage().locationUri().get().toString().replace(theirs.name(), ours.name()));
    assertThat(a.storage().properties()).isEqualTo(b.storage().properties());

    assertThat(spark.table(ours.qualifiedName()).schema()).isEqualTo(spark.table(theirs.qualifiedName()).schema());
    assertThat(spark.sql("SELECT value FROM " + ours.qualifiedName()).head().getInt(0)).isEqualTo(1);
    assertThat(spark.sql("DESCRIBE HISTORY " + ours.qualifiedName()).count()).isEqualTo(1);
  }

  @Test
  void aNameRegisteredForAnotherLakehouseIsRepointed(SparkSession spark, @TempDir Path dir) {
    Lakehouse first = new Lakehouse(dir.resolve("first"));
    Lakehouse second = new Lakehouse(dir.resolve("second"));
    TableId table = TableId.gold("lakehouse_test_moved");
    write(spark, first, table, 1);
    write(spark, second, table, 2);
    first.register(spark, table);
    assertThat(spark.sql("SELECT value FROM " + table.qualifiedName()).head().getInt(0)).isEqualTo(1);
    second.register(spark, table);
    assertThat(spark.sql("SELECT value FROM " + table.qualifiedName()).head().getInt(0)).isEqualTo(2);
    assertThat(first.exists(table)).as("dropping the old entry leaves its data").isTrue();
  }

  @Test
  void aFolderWithoutADeltaLogIsNotRegistered(SparkSession spark, @TempDir Path dir) throws Exception {
    Lakehouse lakehouse = new Lakehouse(dir);
    TableId table = TableId.silver("lakehouse_test_empty");
    Files.createDirectories(lakehouse.tablePath(table));
    assertThatThrownBy(() -> lakehouse.register(spark, table)).hasMessageContaining("no Delta log");
    assertThat(spark.catalog().tableExists(table.qualifiedName())).isFalse();
  }
}
