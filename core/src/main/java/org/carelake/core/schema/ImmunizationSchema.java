package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.StringType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.StructType;

/** {@code silver.immunization}: one row per Immunization, vaccine as CVX. */
public final class ImmunizationSchema {

  public static final TableId TABLE = TableId.silver("immunization");

  public static final String IMMUNIZATION_KEY = "immunization_key";
  public static final String PATIENT_KEY = "patient_key";
  public static final String ENCOUNTER_KEY = "encounter_key";
  public static final String STATUS = "status";
  public static final String VACCINE_SYSTEM = "vaccine_system";
  public static final String VACCINE_CODE = "vaccine_code";
  public static final String VACCINE_DISPLAY = "vaccine_display";
  public static final String OCCURRENCE_TIME = "occurrence_time";

  public static final StructType SCHEMA = Lineage.withLineage(
      Lineage.required(IMMUNIZATION_KEY, StringType),
      Lineage.string(PATIENT_KEY),
      Lineage.string(ENCOUNTER_KEY),
      Lineage.string(STATUS),
      Lineage.string(VACCINE_SYSTEM),
      Lineage.string(VACCINE_CODE),
      Lineage.string(VACCINE_DISPLAY),
      Lineage.time(OCCURRENCE_TIME));

  private ImmunizationSchema() {}
}
