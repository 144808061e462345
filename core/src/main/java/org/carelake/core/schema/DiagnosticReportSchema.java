package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.StringType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.StructType;

/** {@code silver.diagnostic_report}: one row per DiagnosticReport (no presented form: report text stays in bronze). */
public final class DiagnosticReportSchema {

  public static final TableId TABLE = TableId.silver("diagnostic_report");

  public static final String DIAGNOSTIC_REPORT_KEY = "diagnostic_report_key";
  public static final String PATIENT_KEY = "patient_key";
  public static final String ENCOUNTER_KEY = "encounter_key";
  public static final String STATUS = "status";
  public static final String CATEGORY = "category";
  public static final String CODE_SYSTEM = "code_system";
  public static final String CODE = "code";
  public static final String CODE_DISPLAY = "code_display";
  public static final String EFFECTIVE_TIME = "effective_time";
  public static final String ISSUED_TIME = "issued_time";

  public static final StructType SCHEMA = Lineage.withLineage(
      Lineage.required(DIAGNOSTIC_REPORT_KEY, StringType),
      Lineage.string(PATIENT_KEY),
      Lineage.string(ENCOUNTER_KEY),
      Lineage.string(STATUS),
      Lineage.string(CATEGORY),
      Lineage.string(CODE_SYSTEM),
      Lineage.string(CODE),
      Lineage.string(CODE_DISPLAY),
      Lineage.time(EFFECTIVE_TIME),
      Lineage.time(ISSUED_TIME));

  private DiagnosticReportSchema() {}
}
