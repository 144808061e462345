package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import org.carelake.core.TableId;
import org.apache.spark.sql.types.StructType;

/**
 * {@code silver.patient}: one row per patient, pseudonymized. No names, addresses, telecom or
 * identifiers; location is coarsened to state and 3-digit ZIP prefix.
 */
public final class PatientSchema {

  public static final TableId TABLE = TableId.silver("patient");

  public static final String PATIENT_KEY = "patient_key";
  /** FHIR administrative gender: male, female, other, unknown. */
  public static final String GENDER = "gender";
  public static final String BIRTH_DATE = "birth_date";
  public static final String DECEASED_TIME = "deceased_time";
  /** US Core race OMB category (CDC race code system) and its display. */
  public static final String RACE_CODE = "race_code";
  public static final String RACE = "race";
  /** US Core ethnicity OMB category and its display. */
  public static final String ETHNICITY_CODE = "ethnicity_code";
  public static final String ETHNICITY = "ethnicity";
  public static final String STATE = "state";
  public static final String ZIP3 = "zip3";

  public static final StructType SCHEMA = Lineage.withLineage(
      Lineage.required(PATIENT_KEY, StringType),
      Lineage.string(GENDER),
      Lineage.field(BIRTH_DATE, DateType),
      Lineage.time(DECEASED_TIME),
      Lineage.string(RACE_CODE),
      Lineage.string(RACE),
      Lineage.string(ETHNICITY_CODE),
      Lineage.string(ETHNICITY),
      Lineage.string(STATE),
      Lineage.string(ZIP3));

  private PatientSchema() {}
}
