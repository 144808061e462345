package org.carelake.features;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.CareLakeException;
import org.carelake.core.DeltaWriter;
import org.carelake.core.Hashes;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.TableId;
import org.carelake.core.TableWrite;

/**
 * The feature registry, {@code ops.feature_registry}: one row per feature set and feature version,
 * with the definition hash that training sets record. A feature version is immutable: registering
 * a changed definition under a version already registered fails, naming the feature and the fix.
 */
public final class FeatureRegistry {

  public static final TableId TABLE = TableId.ops("feature_registry");

  public static final StructType SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField("feature_set", DataTypes.StringType, false),
      DataTypes.createStructField("name", DataTypes.StringType, false),
      DataTypes.createStructField("version", DataTypes.IntegerType, false),
      DataTypes.createStructField("entity", DataTypes.StringType, false),
      DataTypes.createStructField("description", DataTypes.StringType, false),
      DataTypes.createStructField("owner", DataTypes.StringType, false),
      DataTypes.createStructField("source", DataTypes.StringType, false),
      DataTypes.createStructField("event_time_column", DataTypes.StringType, false),
      DataTypes.createStructField("filter", DataTypes.StringType, true),
      DataTypes.createStructField("value", DataTypes.StringType, true),
      DataTypes.createStructField("aggregation", DataTypes.StringType, false),
      DataTypes.createStructField("lookback_days", DataTypes.IntegerType, false),
      DataTypes.createStructField("ttl_days", DataTypes.IntegerType, false),
      DataTypes.createStructField("definition_hash", DataTypes.StringType, false),
      DataTypes.createStructField("row_hash", DataTypes.StringType, false)});

  private final SparkSession spark;
  private final Lakehouse lakehouse;

  public FeatureRegistry(SparkSession spark, Lakehouse lakehouse) {
    this.spark = spark;
    this.lakehouse = lakehouse;
  }

  /** Registers every feature of the sets; no new table version when nothing changed. */
  public TableWrite register(List<FeatureSet> sets) {
    List<Row> rows = new ArrayList<>();
    for (FeatureSet set : sets) {
      for (FeatureDefinition f : set.features()) {
        String rowHash = Hashes.sha256(List.of(f.definitionHash(), f.description(), f.owner()));
        rows.add(RowFactory.create(set.name(), f.name(), f.version(), FeatureDefinition.ENTITY, f.description(), f.owner(),
            f.source().qualifiedName(), f.eventTimeColumn(), f.filter(), f.value(), f.aggregation().name(), f.lookbackDays(),
            f.ttlDays(), f.definitionHash(), rowHash));
      }
    }
    refuseChangedVersions(rows, lakehouse.exists(TABLE) ? lakehouse.read(spark, TABLE).select(col("name"), col("version"),
        col("definition_hash")).distinct().collectAsList() : List.of());
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      TableWrite write = new DeltaWriter(spark, lakehouse, tx).upsert(spark.createDataFrame(rows, SCHEMA), TABLE,
          List.of("feature_set", "name", "version"), "row_hash", null);
      tx.commit();
      return write;
    }
  }

  /** The registry's rows, ordered by feature set and name. */
  public List<Row> list() {
    if (!lakehouse.exists(TABLE)) {
      return List.of();
    }
    return lakehouse.read(spark, TABLE).orderBy("feature_set", "name", "version").collectAsList();
  }

  /** A feature version means one definition: in the registry, and across the sets being registered. */
  private static void refuseChangedVersions(List<Row> rows, List<Row> registeredRows) {
    Map<String, String> registered = new java.util.HashMap<>();
    registeredRows.forEach(r -> registered.put(r.getString(0) + "@" + r.getInt(1), r.getString(2)));
    for (Row row : rows) {
      String key = row.getString(1) + "@" + row.getInt(2);
      String known = registered.putIfAbsent(key, row.getString(13));
      if (known != null && !known.equals(row.getString(13))) {
        throw CareLakeException.badInput("Feature " + row.getString(1) + " version " + row.getInt(2)
                + " is already registered with a different definition (hash " + known.substring(0, 12) + ", now "
                + row.getString(13).substring(0, 12) + "); training sets built with the old one could no longer be rebuilt.",
            "give the changed feature a new version number in its definition.");
      }
    }
  }
}
