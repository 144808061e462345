package org.carelake.core;

import static org.apache.spark.sql.functions.col;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What each build of a derived table read: the Delta version of every input, and the table's
 * version after the build ({@code ops.build_lineage}, one row per build). A table that is a pure
 * function of its inputs is up to date when its last build read the inputs' current versions and
 * nothing has written the table since; building it again would only recompute the same rows.
 */
public final class BuildLineage {

  public static final TableId TABLE = TableId.ops("build_lineage");

  static final StructType SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField("table_name", DataTypes.StringType, false),
      DataTypes.createStructField("version", DataTypes.LongType, false),
      DataTypes.createStructField("input_versions", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType, false), false),
      DataTypes.createStructField("built_at", DataTypes.TimestampType, false)});

  private final SparkSession spark;
  private final Lakehouse lakehouse;

  public BuildLineage(SparkSession spark, Lakehouse lakehouse) {
    this.spark = spark;
    this.lakehouse = lakehouse;
  }

  /** The current version of each input, which the build then reads at exactly that version. */
  public Map<TableId, Long> currentVersions(List<TableId> inputs) {
    Map<TableId, Long> versions = new LinkedHashMap<>();
    for (TableId input : inputs) {
      versions.put(input, lakehouse.version(spark, input).orElseThrow(() -> CareLakeException.badInput(
          input + " does not exist in " + lakehouse.root() + " yet, and the build reads it.", "ingest its data first.")));
    }
    return versions;
  }

  /**
   * The table's current version, when its last recorded build read exactly {@code inputs} and no
   * commit has reached the table since; empty when it must be built.
   */
  public Optional<Long> upToDate(TableId table, Map<TableId, Long> inputs) {
    Optional<Long> current = lakehouse.version(spark, table);
    if (current.isEmpty() || !lakehouse.exists(TABLE)) {
      return Optional.empty();
    }
    List<Row> last = lakehouse.read(spark, TABLE).where(col("table_name").equalTo(table.qualifiedName()))
        .orderBy(col("built_at").desc(), col("version").desc()).limit(1).collectAsList();
    if (last.isEmpty() || last.get(0).getLong(1) != current.get()) {
      return Optional.empty();
    }
    Map<String, Long> recorded = new TreeMap<>(last.get(0).<String, Long>getJavaMap(2));
    return recorded.equals(names(inputs)) ? current : Optional.empty();
  }

  /** Records a build in the caller's transaction: the table's version after it and the input versions it read. */
  public void record(DeltaWriter writer, TableId table, long version, Map<TableId, Long> inputs) {
    Row row = RowFactory.create(table.qualifiedName(), version, names(inputs), Timestamp.from(Instant.now()));
    writer.append(spark.createDataFrame(List.of(row), SCHEMA), TABLE);
  }

  private static Map<String, Long> names(Map<TableId, Long> versions) {
    Map<String, Long> byName = new TreeMap<>();
    versions.forEach((table, version) -> byName.put(table.qualifiedName(), version));
    return byName;
  }
}
