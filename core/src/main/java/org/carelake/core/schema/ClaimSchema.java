package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.StringType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.StructType;

/** {@code silver.claim}: one row per Claim, with the payer (coverage) and claim type: the socio-economic attribute fairness audits use. */
public final class ClaimSchema {

  public static final TableId TABLE = TableId.silver("claim");

  public static final String CLAIM_KEY = "claim_key";
  public static final String PATIENT_KEY = "patient_key";
  public static final String STATUS = "status";
  public static final String TYPE_CODE = "type_code";
  /** The payer as the claim names it (Synthea: Medicare, Medicaid, NO_INSURANCE, a private payer...). */
  public static final String PAYER = "payer";
  public static final String CREATED_TIME = "created_time";
  public static final String TOTAL_VALUE = "total_value";
  public static final String TOTAL_CURRENCY = "total_currency";

  public static final StructType SCHEMA = Lineage.withLineage(
      Lineage.required(CLAIM_KEY, StringType),
      Lineage.string(PATIENT_KEY),
      Lineage.string(STATUS),
      Lineage.string(TYPE_CODE),
      Lineage.string(PAYER),
      Lineage.time(CREATED_TIME),
      Lineage.field(TOTAL_VALUE, org.apache.spark.sql.types.DataTypes.DoubleType),
      Lineage.string(TOTAL_CURRENCY));

  private ClaimSchema() {}
}
