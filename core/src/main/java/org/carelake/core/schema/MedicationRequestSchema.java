package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.StringType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.StructType;

/** {@code silver.medication_request}: one row per MedicationRequest, medication as RxNorm code. */
public final class MedicationRequestSchema {

  public static final TableId TABLE = TableId.silver("medication_request");

  public static final String MEDICATION_REQUEST_KEY = "medication_request_key";
  public static final String PATIENT_KEY = "patient_key";
  public static final String ENCOUNTER_KEY = "encounter_key";
  public static final String STATUS = "status";
  public static final String INTENT = "intent";
  public static final String MEDICATION_SYSTEM = "medication_system";
  public static final String MEDICATION_CODE = "medication_code";
  public static final String MEDICATION_DISPLAY = "medication_display";
  public static final String AUTHORED_TIME = "authored_time";

  public static final StructType SCHEMA = Lineage.withLineage(
      Lineage.required(MEDICATION_REQUEST_KEY, StringType),
      Lineage.string(PATIENT_KEY),
      Lineage.string(ENCOUNTER_KEY),
      Lineage.string(STATUS),
      Lineage.string(INTENT),
      Lineage.string(MEDICATION_SYSTEM),
      Lineage.string(MEDICATION_CODE),
      Lineage.string(MEDICATION_DISPLAY),
      Lineage.time(AUTHORED_TIME));

  private MedicationRequestSchema() {}
}
