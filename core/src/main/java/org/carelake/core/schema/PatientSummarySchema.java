package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** {@code gold.patient_summary}: one analysis-ready row per patient with demographics and utilization. */
public final class PatientSummarySchema {

  public static final TableId TABLE = TableId.gold("patient_summary");

  public static final String PATIENT_KEY = "patient_key";
  /** Sex group used by fairness analyses (from administrative gender). */
  public static final String SEX = "sex";
  public static final String RACE = "race";
  public static final String ETHNICITY = "ethnicity";
  public static final String BIRTH_YEAR = "birth_year";
  public static final String DECEASED = "deceased";
  public static final String STATE = "state";
  public static final String ZIP3 = "zip3";
  public static final String FIRST_ENCOUNTER_TIME = "first_encounter_time";
  public static final String LAST_ENCOUNTER_TIME = "last_encounter_time";
  public static final String ENCOUNTER_COUNT = "encounter_count";
  public static final String CONDITION_COUNT = "condition_count";
  public static final String OBSERVATION_COUNT = "observation_count";
  public static final String MEDICATION_REQUEST_COUNT = "medication_request_count";

  public static final StructType SCHEMA = DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
      Lineage.required(PATIENT_KEY, StringType),
      Lineage.string(SEX),
      Lineage.string(RACE),
      Lineage.string(ETHNICITY),
      Lineage.field(BIRTH_YEAR, IntegerType),
      Lineage.field(DECEASED, BooleanType),
      Lineage.string(STATE),
      Lineage.string(ZIP3),
      Lineage.time(FIRST_ENCOUNTER_TIME),
      Lineage.time(LAST_ENCOUNTER_TIME),
      Lineage.field(ENCOUNTER_COUNT, LongType),
      Lineage.field(CONDITION_COUNT, LongType),
      Lineage.field(OBSERVATION_COUNT, LongType),
      Lineage.field(MEDICATION_REQUEST_COUNT, LongType)});

  private PatientSummarySchema() {}
}
