package org.carelake.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.TableIdentifier;
import org.apache.spark.sql.catalyst.catalog.CatalogStorageFormat;
import org.apache.spark.sql.catalyst.catalog.CatalogTable;
import org.apache.spark.sql.catalyst.catalog.CatalogTableType;
import org.apache.spark.sql.catalyst.catalog.SessionCatalog;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.actions.Action;
import org.apache.spark.sql.delta.actions.CommitInfo;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.spark.Seqs;
import scala.Option;

/**
 * A lakehouse folder: Delta tables under {@code <root>/<layer>/<table>}, and the SQL catalog entries
 * that make them reachable by name ({@code SELECT * FROM silver.patient}) from any process that
 * opens the same folder.
 *
 * <p>The catalog is rebuilt from the folder layout at session start ({@link #registerTables}), so
 * there is no metastore service or Derby database to keep in sync: the folder is the truth.
 */
public final class Lakehouse {

  private final Path root;

  public Lakehouse(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  public Path tablePath(TableId table) {
    return root.resolve(table.layer().dbName()).resolve(table.name());
  }

  public String location(TableId table) {
    return tablePath(table).toUri().toString();
  }

  /** Where generated or landed raw input is kept (not a table). */
  public Path rawDir() {
    return root.resolve("raw");
  }

  /** Where reports people read are written. */
  public Path reportsDir() {
    return root.resolve("reports");
  }

  public boolean exists(TableId table) {
    return Files.isDirectory(tablePath(table).resolve("_delta_log"));
  }

  /** Every Delta table in the folder, layer by layer, in name order. */
  public List<TableId> tables() {
    List<TableId> tables = new ArrayList<>();
    for (Layer layer : Layer.values()) {
      Path dir = root.resolve(layer.dbName());
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> children = Files.list(dir)) {
        children
            .filter(p -> Files.isDirectory(p.resolve("_delta_log")))
            .map(p -> p.getFileName().toString())
            .sorted()
            .forEach(name -> tables.add(new TableId(layer, name)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return tables;
  }

  /** Registers every table under its layer database, so SQL can name it. Idempotent. */
  public void registerTables(SparkSession spark) {
    for (Layer layer : Layer.values()) {
      spark.sql("CREATE DATABASE IF NOT EXISTS " + layer.dbName());
    }
    for (TableId table : tables()) {
      register(spark, table);
    }
  }

  /**
   * Registers one table (after its first write). Any entry of the same name is replaced: it may
   * point at another lakehouse opened earlier in this process. Entries are external (LOCATION), so
   * dropping an entry never touches data.
   */
  public void register(SparkSession spark, TableId table) {
    if (!exists(table)) {
      throw new IllegalStateException(table + " has no Delta log at " + tablePath(table) + ": only written tables are registered");
    }
    // Catalog changes are serialized: ingest jobs create several tables from parallel writers.
    synchronized (Lakehouse.class) {
      SessionCatalog catalog = spark.sessionState().catalog();
      if (!catalog.databaseExists(table.layer().dbName())) {
        spark.sql("CREATE DATABASE IF NOT EXISTS " + table.layer().dbName());
      }
      TableIdentifier name = new TableIdentifier(table.name(), Option.apply(table.layer().dbName()));
      if (catalog.tableExists(name)) {
        spark.sql("DROP TABLE IF EXISTS " + table.qualifiedName());
      }
      // The entry `CREATE TABLE ... USING delta LOCATION` stores for a table that exists at its
      // location: provider and location only, the schema and properties staying in the Delta log
      // (Delta's CreateDeltaTableCommand.cleanupTableDefinition, with catalog.update.enabled off).
      // Stored directly: the statement took 16-19 ms a table (parse, analysis, a snapshot check of
      // the log), serialized here while a first ingest creates 18 tables; the entry alone 0.1-0.2 ms.
      catalog.createTable(new CatalogTable(name, CatalogTableType.EXTERNAL(),
          new CatalogStorageFormat(Option.apply(catalogLocation(table)), Option.empty(), Option.empty(), Option.empty(), false,
              scala.collection.immutable.Map$.MODULE$.empty()),
          new StructType(), Option.apply("delta"), Seqs.of(), Option.empty(), "", System.currentTimeMillis(), -1L, "",
          scala.collection.immutable.Map$.MODULE$.empty(), Option.empty(), Option.empty(), Option.empty(), Seqs.of(), true, true,
          scala.collection.immutable.Map$.MODULE$.empty(), Option.empty()), false, false);
    }
  }

  /** The table's location as the catalog entry of Delta's CREATE TABLE stores it: {@code file:/...}, percent-encoded. */
  private java.net.URI catalogLocation(TableId table) {
    try {
      return new java.net.URI("file", null, tablePath(table).toString(), null);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("table path " + tablePath(table) + " is not a valid URI path", e);
    }
  }

  /** The table's current Delta version, or empty when it does not exist yet. */
  public Optional<Long> version(SparkSession spark, TableId table) {
    if (!exists(table)) {
      return Optional.empty();
    }
    // The log's latest snapshot (listing _delta_log, cached per table) rather than history(), which starts a Spark job.
    long version = org.apache.spark.sql.delta.DeltaLog.forTable(spark, tablePath(table).toString())
        .update(false, scala.Option.empty(), scala.Option.empty()).version();
    return version < 0 ? Optional.empty() : Optional.of(version);
  }

  /**
   * Each commit's commit-info entry (operation metrics, userMetadata), from {@code fromVersion} to
   * the latest, read from the Delta log on the driver: {@code history()} would start a Spark job. A
   * commit without that entry maps to null.
   */
  public Map<Long, CommitInfo> commits(SparkSession spark, TableId table, long fromVersion) {
    DeltaLog log = DeltaLog.forTable(spark, tablePath(table).toString());
    Map<Long, CommitInfo> out = new LinkedHashMap<>();
    scala.collection.Iterator<scala.Tuple2<Object, scala.collection.Seq<Action>>> changes = log.getChanges(fromVersion, false);
    while (changes.hasNext()) {
      scala.Tuple2<Object, scala.collection.Seq<Action>> commit = changes.next();
      CommitInfo info = null;
      for (Action action : scala.collection.JavaConverters.seqAsJavaList(commit._2())) {
        if (action instanceof CommitInfo c) {
          info = c;
        }
      }
      out.put((Long) commit._1(), info);
    }
    return out;
  }

  public Dataset<Row> read(SparkSession spark, TableId table) {
    requireExists(table);
    return spark.read().format("delta").load(tablePath(table).toString());
  }

  /** The table as of a Delta version (time travel), for rebuilding from recorded lineage. */
  public Dataset<Row> readAt(SparkSession spark, TableId table, long version) {
    requireExists(table);
    return spark.read().format("delta").option("versionAsOf", version).load(tablePath(table).toString());
  }

  private void requireExists(TableId table) {
    if (!exists(table)) {
      throw CareLakeException.badInput(
          "Table " + table + " does not exist in lakehouse " + root + ".",
          "run the step that builds it first (see ./carelake --help), or point --lakehouse at the right folder.");
    }
  }
}
