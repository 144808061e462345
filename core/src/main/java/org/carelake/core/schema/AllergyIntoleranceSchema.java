package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.StringType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.StructType;

/** {@code silver.allergy_intolerance}: one row per AllergyIntolerance. */
public final class AllergyIntoleranceSchema {

  public static final TableId TABLE = TableId.silver("allergy_intolerance");

  public static final String ALLERGY_KEY = "allergy_key";
  public static final String PATIENT_KEY = "patient_key";
  public static final String CLINICAL_STATUS = "clinical_status";
  public static final String VERIFICATION_STATUS = "verification_status";
  public static final String CATEGORY = "category";
  public static final String CRITICALITY = "criticality";
  public static final String CODE_SYSTEM = "code_system";
  public static final String CODE = "code";
  public static final String CODE_DISPLAY = "code_display";
  public static final String ONSET_TIME = "onset_time";
  public static final String RECORDED_TIME = "recorded_time";

  public static final StructType SCHEMA = Lineage.withLineage(
      Lineage.required(ALLERGY_KEY, StringType),
      Lineage.string(PATIENT_KEY),
      Lineage.string(CLINICAL_STATUS),
      Lineage.string(VERIFICATION_STATUS),
      Lineage.string(CATEGORY),
      Lineage.string(CRITICALITY),
      Lineage.string(CODE_SYSTEM),
      Lineage.string(CODE),
      Lineage.string(CODE_DISPLAY),
      Lineage.time(ONSET_TIME),
      Lineage.time(RECORDED_TIME));

  private AllergyIntoleranceSchema() {}
}
