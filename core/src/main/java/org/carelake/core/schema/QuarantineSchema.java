package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code bronze.fhir_quarantine}: records that could not be accepted, with the reason and where they
 * came from, so nothing is lost and counts reconcile. Natural key: source file, position and
 * content hash.
 */
public final class QuarantineSchema {

  public static final TableId TABLE = TableId.bronze("fhir_quarantine");

  public static final String SOURCE_FILE = "source_file";
  public static final String SOURCE_POSITION = "source_position";
  public static final String SOURCE_POSITION_KIND = "source_position_kind";
  /** A stable machine-readable reason, one of {@code Reason}. */
  public static final String REASON_CODE = "reason_code";
  /** The reason for a person: what is wrong and how to fix it. No record content. */
  public static final String REASON = "reason";
  public static final String RESOURCE_TYPE = "resource_type";
  public static final String RESOURCE_ID = "resource_id";
  public static final String CONTENT_HASH = "content_hash";
  /** The record as received, kept so it can be repaired and re-ingested. */
  public static final String RAW = "raw";
  public static final String INGEST_RUN_ID = "ingest_run_id";

  public static final StructType SCHEMA = DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
      Lineage.required(SOURCE_FILE, StringType),
      Lineage.required(SOURCE_POSITION, LongType),
      Lineage.required(SOURCE_POSITION_KIND, StringType),
      Lineage.required(REASON_CODE, StringType),
      Lineage.required(REASON, StringType),
      Lineage.string(RESOURCE_TYPE),
      Lineage.string(RESOURCE_ID),
      Lineage.required(CONTENT_HASH, StringType),
      Lineage.string(RAW),
      Lineage.required(INGEST_RUN_ID, StringType)});

  /** Why a record was quarantined. */
  public enum Reason {
    MALFORMED_JSON,
    MISSING_ID,
    UNKNOWN_RESOURCE_TYPE,
    NOT_R4,
    INVALID_RESOURCE,
    /** The resource's patient is neither in the same input nor already in silver.patient. */
    DANGLING_REFERENCE,
    /** A DELETE whose target cannot be identified (e.g. a conditional delete by search). */
    UNSUPPORTED_DELETE
  }

  private QuarantineSchema() {}
}
