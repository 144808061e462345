package org.carelake.core;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.months_between;
import static org.apache.spark.sql.functions.when;

import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.carelake.core.schema.PatientSchema;

/**
 * The sensitive attributes that data bias checks and model fairness audits both group by, defined
 * once so the two always agree. Age bands are half-open {@code [lower, next lower)} in years.
 */
public record SensitiveGroups(List<String> attributes, List<Integer> ageBandLowerBounds) {

  public static final String SEX = "sex";
  public static final String RACE = "race";
  public static final String ETHNICITY = "ethnicity";
  public static final String AGE_BAND = "age_band";
  /** The value a missing attribute is grouped under (missingness is itself a group to audit). */
  public static final String UNKNOWN = "unknown";

  public static final SensitiveGroups DEFAULT = new SensitiveGroups(List.of(SEX, RACE, ETHNICITY, AGE_BAND), List.of(18, 40, 65));

  public SensitiveGroups {
    attributes = List.copyOf(attributes);
    ageBandLowerBounds = List.copyOf(ageBandLowerBounds);
    for (int i = 1; i < ageBandLowerBounds.size(); i++) {
      if (ageBandLowerBounds.get(i) <= ageBandLowerBounds.get(i - 1)) {
        throw new IllegalArgumentException("age band bounds must increase: " + ageBandLowerBounds);
      }
    }
  }

  /**
   * Each patient's groups: {@code patient_key} and one column per attribute, missing values as
   * {@link #UNKNOWN}, age band at {@code ageAt} (a date or timestamp column or literal).
   *
   * @param patients rows of {@code silver.patient}
   */
  public Dataset<Row> ofPatients(Dataset<Row> patients, Column ageAt) {
    Dataset<Row> groups = patients.select(
        col(PatientSchema.PATIENT_KEY),
        coalesce(col(PatientSchema.GENDER), lit(UNKNOWN)).as(SEX),
        coalesce(col(PatientSchema.RACE), lit(UNKNOWN)).as(RACE),
        coalesce(col(PatientSchema.ETHNICITY), lit(UNKNOWN)).as(ETHNICITY),
        ageBand(floor(months_between(ageAt, col(PatientSchema.BIRTH_DATE)).divide(12))).as(AGE_BAND));
    java.util.List<Column> columns = new java.util.ArrayList<>(List.of(col(PatientSchema.PATIENT_KEY)));
    attributes.forEach(a -> columns.add(col(a)));
    return groups.select(columns.toArray(new Column[0]));
  }

  /** Age band label for an age in whole years, e.g. {@code 40-64} or {@code 65+}. */
  public Column ageBand(Column ageYears) {
    Column band = lit("under " + ageBandLowerBounds.get(0));
    for (int i = 0; i < ageBandLowerBounds.size(); i++) {
      int lower = ageBandLowerBounds.get(i);
      String label = i + 1 < ageBandLowerBounds.size() ? lower + "-" + (ageBandLowerBounds.get(i + 1) - 1) : lower + "+";
      band = when(ageYears.geq(lower), lit(label)).otherwise(band);
    }
    return when(ageYears.isNull(), lit(UNKNOWN)).otherwise(band);
  }
}
