package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.StringType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.StructType;

/** {@code silver.care_plan}: one row per CarePlan, with its first category. */
public final class CarePlanSchema {

  public static final TableId TABLE = TableId.silver("care_plan");

  public static final String CARE_PLAN_KEY = "care_plan_key";
  public static final String PATIENT_KEY = "patient_key";
  public static final String ENCOUNTER_KEY = "encounter_key";
  public static final String STATUS = "status";
  public static final String INTENT = "intent";
  public static final String CATEGORY_SYSTEM = "category_system";
  public static final String CATEGORY_CODE = "category_code";
  public static final String CATEGORY_DISPLAY = "category_display";
  public static final String PERIOD_START_TIME = "period_start_time";
  public static final String PERIOD_END_TIME = "period_end_time";

  public static final StructType SCHEMA = Lineage.withLineage(
      Lineage.required(CARE_PLAN_KEY, StringType),
      Lineage.string(PATIENT_KEY),
      Lineage.string(ENCOUNTER_KEY),
      Lineage.string(STATUS),
      Lineage.string(INTENT),
      Lineage.string(CATEGORY_SYSTEM),
      Lineage.string(CATEGORY_CODE),
      Lineage.string(CATEGORY_DISPLAY),
      Lineage.time(PERIOD_START_TIME),
      Lineage.time(PERIOD_END_TIME));

  private CarePlanSchema() {}
}
