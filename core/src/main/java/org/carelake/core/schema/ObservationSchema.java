package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code silver.observation}: one row per Observation. A quantity keeps its UCUM unit code; a coded
 * value keeps system + code + display; components (e.g. systolic and diastolic blood pressure) are
 * an array of the same value shape. The feature store's {@code Measurements} flattens both into one row per value.
 */
public final class ObservationSchema {

  public static final TableId TABLE = TableId.silver("observation");

  public static final String OBSERVATION_KEY = "observation_key";
  public static final String PATIENT_KEY = "patient_key";
  public static final String ENCOUNTER_KEY = "encounter_key";
  public static final String STATUS = "status";
  public static final String CATEGORY = "category";
  public static final String CODE_SYSTEM = "code_system";
  public static final String CODE = "code";
  public static final String CODE_DISPLAY = "code_display";
  public static final String EFFECTIVE_TIME = "effective_time";
  public static final String VALUE_QUANTITY = "value_quantity";
  public static final String VALUE_UNIT = "value_unit";
  public static final String VALUE_CODE_SYSTEM = "value_code_system";
  public static final String VALUE_CODE = "value_code";
  public static final String VALUE_CODE_DISPLAY = "value_code_display";
  public static final String COMPONENTS = "components";

  /** The component struct: the same coded value shape as the observation itself. */
  public static final StructType COMPONENT = DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
      Lineage.string(CODE_SYSTEM),
      Lineage.string(CODE),
      Lineage.string(CODE_DISPLAY),
      Lineage.field(VALUE_QUANTITY, DoubleType),
      Lineage.string(VALUE_UNIT),
      Lineage.string(VALUE_CODE_SYSTEM),
      Lineage.string(VALUE_CODE),
      Lineage.string(VALUE_CODE_DISPLAY)});

  public static final StructType SCHEMA = Lineage.withLineage(
      Lineage.required(OBSERVATION_KEY, StringType),
      Lineage.string(PATIENT_KEY),
      Lineage.string(ENCOUNTER_KEY),
      Lineage.string(STATUS),
      Lineage.string(CATEGORY),
      Lineage.string(CODE_SYSTEM),
      Lineage.string(CODE),
      Lineage.string(CODE_DISPLAY),
      Lineage.time(EFFECTIVE_TIME),
      Lineage.field(VALUE_QUANTITY, DoubleType),
      Lineage.string(VALUE_UNIT),
      Lineage.string(VALUE_CODE_SYSTEM),
      Lineage.string(VALUE_CODE),
      Lineage.string(VALUE_CODE_DISPLAY),
      Lineage.field(COMPONENTS, DataTypes.createArrayType(COMPONENT, false)));

  private ObservationSchema() {}
}
