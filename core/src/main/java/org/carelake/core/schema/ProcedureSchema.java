package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.StringType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.StructType;

/** {@code silver.procedure}: one row per Procedure, code as SNOMED CT. */
public final class ProcedureSchema {

  public static final TableId TABLE = TableId.silver("procedure");

  public static final String PROCEDURE_KEY = "procedure_key";
  public static final String PATIENT_KEY = "patient_key";
  public static final String ENCOUNTER_KEY = "encounter_key";
  public static final String STATUS = "status";
  public static final String CODE_SYSTEM = "code_system";
  public static final String CODE = "code";
  public static final String CODE_DISPLAY = "code_display";
  public static final String PERFORMED_START_TIME = "performed_start_time";
  public static final String PERFORMED_END_TIME = "performed_end_time";

  public static final StructType SCHEMA = Lineage.withLineage(
      Lineage.required(PROCEDURE_KEY, StringType),
      Lineage.string(PATIENT_KEY),
      Lineage.string(ENCOUNTER_KEY),
      Lineage.string(STATUS),
      Lineage.string(CODE_SYSTEM),
      Lineage.string(CODE),
      Lineage.string(CODE_DISPLAY),
      Lineage.time(PERFORMED_START_TIME),
      Lineage.time(PERFORMED_END_TIME));

  private ProcedureSchema() {}
}
