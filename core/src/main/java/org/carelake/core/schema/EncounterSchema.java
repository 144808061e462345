package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.StringType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.StructType;

/** {@code silver.encounter}: one row per encounter. */
public final class EncounterSchema {

  public static final TableId TABLE = TableId.silver("encounter");

  public static final String ENCOUNTER_KEY = "encounter_key";
  public static final String PATIENT_KEY = "patient_key";
  public static final String STATUS = "status";
  /** v3 ActCode class, e.g. AMB, EMER, IMP. */
  public static final String CLASS_CODE = "class_code";
  public static final String TYPE_SYSTEM = "type_system";
  public static final String TYPE_CODE = "type_code";
  public static final String TYPE_DISPLAY = "type_display";
  public static final String START_TIME = "start_time";
  public static final String END_TIME = "end_time";

  public static final StructType SCHEMA = Lineage.withLineage(
      Lineage.required(ENCOUNTER_KEY, StringType),
      Lineage.string(PATIENT_KEY),
      Lineage.string(STATUS),
      Lineage.string(CLASS_CODE),
      Lineage.string(TYPE_SYSTEM),
      Lineage.string(TYPE_CODE),
      Lineage.string(TYPE_DISPLAY),
      Lineage.time(START_TIME),
      Lineage.time(END_TIME));

  private EncounterSchema() {}
}
