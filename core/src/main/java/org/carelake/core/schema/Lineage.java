package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.DataTypes;

/** Lineage columns every silver row carries back to its bronze source. */
public final class Lineage {

  /** FHIR meta.versionId, when the source gave one. */
  public static final String VERSION_ID = "source_version_id";
  /** FHIR meta.lastUpdated, when the source gave one. */
  public static final String LAST_UPDATED = "source_last_updated";
  /** SHA-256 of the resource as received: equal hash, equal content. */
  public static final String CONTENT_HASH = "content_hash";
  /** The ingest run that last changed the row. */
  public static final String INGEST_RUN_ID = "ingest_run_id";

  private Lineage() {}

  static StructField[] fields() {
    return new StructField[] {
      DataTypes.createStructField(VERSION_ID, StringType, true),
      DataTypes.createStructField(LAST_UPDATED, TimestampType, true),
      DataTypes.createStructField(CONTENT_HASH, StringType, false),
      DataTypes.createStructField(INGEST_RUN_ID, StringType, false),
    };
  }

  /** A silver schema: the table's own fields followed by the lineage fields. */
  static org.apache.spark.sql.types.StructType withLineage(StructField... own) {
    StructField[] lineage = fields();
    StructField[] all = new StructField[own.length + lineage.length];
    System.arraycopy(own, 0, all, 0, own.length);
    System.arraycopy(lineage, 0, all, own.length, lineage.length);
    return DataTypes.createStructType(all);
  }

  static StructField field(String name, org.apache.spark.sql.types.DataType type) {
    return DataTypes.createStructField(name, type, true);
  }

  static StructField required(String name, org.apache.spark.sql.types.DataType type) {
    return DataTypes.createStructField(name, type, false);
  }

  static StructField string(String name) {
    return field(name, StringType);
  }

  static StructField time(String name) {
    return field(name, TimestampType);
  }
}
