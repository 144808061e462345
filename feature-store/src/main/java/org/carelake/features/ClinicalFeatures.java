package org.carelake.features;

import java.util.List;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.schema.MedicationRequestSchema;

/** The shipped feature definitions over the EHR silver tables. */
public final class ClinicalFeatures {

  private static final int YEAR = 365;
  private static final int THREE_YEARS = 3 * 365;

  private ClinicalFeatures() {}

  public static FeatureDefinition lastMeasurement(String name, String loinc, String what, int lookbackDays) {
    return new FeatureDefinition(name, 1, "Latest " + what + " (LOINC " + loinc + ") in the last " + lookbackDays + " days",
        Measurements.SOURCE, Measurements.EFFECTIVE_TIME, Measurements.CODE + " = '" + loinc + "'", Measurements.VALUE,
        Aggregation.LAST, lookbackDays);
  }

  public static FeatureDefinition hasCondition(String name, String what, int lookbackDays, String... snomed) {
    return new FeatureDefinition(name, 1, "Any diagnosis of " + what + " in the last " + lookbackDays + " days",
        ConditionSchema.TABLE, ConditionSchema.ONSET_TIME, ConditionSchema.CODE + " IN (" + quoted(snomed) + ")", null,
        Aggregation.EXISTS, lookbackDays);
  }

  /** Features for cardiometabolic cohort models. */
  public static final FeatureSet CARDIOMETABOLIC_V1 = new FeatureSet("cardiometabolic_v1", List.of(
      lastMeasurement("last_bmi", "39156-5", "body mass index", THREE_YEARS),
      lastMeasurement("last_systolic_bp", "8480-6", "systolic blood pressure", THREE_YEARS),
      lastMeasurement("last_diastolic_bp", "8462-4", "diastolic blood pressure", THREE_YEARS),
      lastMeasurement("last_glucose", "2339-0", "glucose", THREE_YEARS),
      lastMeasurement("last_hba1c", "4548-4", "hemoglobin A1c", THREE_YEARS),
      lastMeasurement("last_total_cholesterol", "2093-3", "total cholesterol", THREE_YEARS),
      lastMeasurement("last_triglycerides", "2571-8", "triglycerides", THREE_YEARS),
      hasCondition("has_hypertension", "essential hypertension", 20 * YEAR, "59621000"),
      hasCondition("has_obesity_finding", "BMI 30+ obesity", 5 * YEAR, "162864005", "408512008"),
      hasCondition("has_hyperlipidemia", "hyperlipidemia", 20 * YEAR, "55822004"),
      new FeatureDefinition("encounters_1y", 1, "Encounters in the last year", EncounterSchema.TABLE,
          EncounterSchema.START_TIME, null, null, Aggregation.COUNT, YEAR),
      new FeatureDefinition("conditions_3y", 1, "Condition records in the last 3 years", ConditionSchema.TABLE,
          ConditionSchema.ONSET_TIME, null, null, Aggregation.COUNT, THREE_YEARS),
      new FeatureDefinition("medication_requests_1y", 1, "Medication requests in the last year", MedicationRequestSchema.TABLE,
          MedicationRequestSchema.AUTHORED_TIME, null, null, Aggregation.COUNT, YEAR),
      new FeatureDefinition("days_since_last_encounter", 1, "Days since the latest encounter (up to 3 years)",
          EncounterSchema.TABLE, EncounterSchema.START_TIME, null, null, Aggregation.DAYS_SINCE, THREE_YEARS)));

  private static String quoted(String... codes) {
    return String.join(", ", java.util.Arrays.stream(codes).map(c -> "'" + c + "'").toList());
  }
}
