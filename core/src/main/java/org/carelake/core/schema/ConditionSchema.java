package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.StringType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.StructType;

/** {@code silver.condition}: one row per Condition resource. */
public final class ConditionSchema {

  public static final TableId TABLE = TableId.silver("condition");

  public static final String CONDITION_KEY = "condition_key";
  public static final String PATIENT_KEY = "patient_key";
  public static final String ENCOUNTER_KEY = "encounter_key";
  public static final String CODE_SYSTEM = "code_system";
  public static final String CODE = "code";
  public static final String CODE_DISPLAY = "code_display";
  public static final String CLINICAL_STATUS = "clinical_status";
  public static final String VERIFICATION_STATUS = "verification_status";
  public static final String ONSET_TIME = "onset_time";
  public static final String ABATEMENT_TIME = "abatement_time";
  public static final String RECORDED_TIME = "recorded_time";

  public static final StructType SCHEMA = Lineage.withLineage(
      Lineage.required(CONDITION_KEY, StringType),
      Lineage.string(PATIENT_KEY),
      Lineage.string(ENCOUNTER_KEY),
      Lineage.string(CODE_SYSTEM),
      Lineage.string(CODE),
      Lineage.string(CODE_DISPLAY),
      Lineage.string(CLINICAL_STATUS),
      Lineage.string(VERIFICATION_STATUS),
      Lineage.time(ONSET_TIME),
      Lineage.time(ABATEMENT_TIME),
      Lineage.time(RECORDED_TIME));

  private ConditionSchema() {}
}
