package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.StructType;

/**
 * {@code bronze.fhir_resource}: every accepted FHIR resource exactly as received (raw JSON), with
 * where it came from. Natural key: resource type, id and content hash, so the same content arriving
 * twice is stored once and every distinct version is kept.
 */
public final class BronzeResourceSchema {

  public static final TableId TABLE = TableId.bronze("fhir_resource");

  public static final String RESOURCE_TYPE = "resource_type";
  public static final String RESOURCE_ID = "resource_id";
  public static final String VERSION_ID = "version_id";
  public static final String LAST_UPDATED = "last_updated";
  public static final String CONTENT_HASH = "content_hash";
  public static final String RAW_JSON = "raw_json";
  public static final String SOURCE_FILE = "source_file";
  /** Byte offset of the line in an NDJSON file, or the entry index in a Bundle. */
  public static final String SOURCE_POSITION = "source_position";
  /** {@code line-offset} or {@code bundle-entry}: how to read {@link #SOURCE_POSITION}. */
  public static final String SOURCE_POSITION_KIND = "source_position_kind";
  public static final String INGEST_RUN_ID = "ingest_run_id";
  /** True for a tombstone: the source deleted the resource (a Bundle DELETE entry, or a Bulk Data deleted file). */
  public static final String DELETED = "deleted";

  public static final StructType SCHEMA = org.apache.spark.sql.types.DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
      Lineage.required(RESOURCE_TYPE, StringType),
      Lineage.required(RESOURCE_ID, StringType),
      Lineage.string(VERSION_ID),
      Lineage.field(LAST_UPDATED, TimestampType),
      Lineage.required(CONTENT_HASH, StringType),
      Lineage.required(RAW_JSON, StringType),
      Lineage.required(SOURCE_FILE, StringType),
      Lineage.required(SOURCE_POSITION, LongType),
      Lineage.required(SOURCE_POSITION_KIND, StringType),
      Lineage.required(INGEST_RUN_ID, StringType),
      Lineage.required(DELETED, org.apache.spark.sql.types.DataTypes.BooleanType)});

  private BronzeResourceSchema() {}
}
