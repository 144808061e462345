package org.carelake.features;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.schema.MedicationRequestSchema;

/** The shipped feature definitions over the EHR silver tables. */
public final class ClinicalFeatures {

  private static final int YEAR = 365;
  private static final int THREE_YEARS = 3 * 365;
  private static final String RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";

  private ClinicalFeatures() {}

  /** The latest value of a LOINC-coded measurement, served only if measured within {@code ttlDays}. */
  public static FeatureDefinition lastMeasurement(String name, String loinc, String what, int lookbackDays, int ttlDays) {
    return FeatureDefinition.of(name, 1, "Latest " + what + " (LOINC " + loinc + ") measured in the last " + ttlDays + " days",
        Measurements.SOURCE, Measurements.EFFECTIVE_TIME, loincIs(loinc), Measurements.VALUE, Aggregation.LAST, lookbackDays)
        .withTtl(ttlDays);
  }

  public static FeatureDefinition measurement(String name, String loinc, String what, Aggregation aggregation, int lookbackDays) {
    return FeatureDefinition.of(name, 1, aggregation.name().toLowerCase(java.util.Locale.ROOT) + " of " + what + " (LOINC " + loinc
            + ") over the last " + lookbackDays + " days" + (aggregation == Aggregation.SLOPE ? ", per year" : ""),
        Measurements.SOURCE, Measurements.EFFECTIVE_TIME, loincIs(loinc), Measurements.VALUE, aggregation, lookbackDays);
  }

  public static FeatureDefinition hasCondition(String name, String what, int lookbackDays, String... snomed) {
    return FeatureDefinition.of(name, 1, "Any diagnosis of " + what + " (SNOMED CT " + String.join(", ", snomed) + ") in the last "
            + lookbackDays + " days",
        ConditionSchema.TABLE, ConditionSchema.ONSET_TIME, ConditionSchema.CODE + " IN (" + quoted(snomed) + ")", null,
        Aggregation.EXISTS, lookbackDays);
  }

  public static FeatureDefinition medication(String name, String what, Aggregation aggregation, int lookbackDays, String... rxnorm) {
    return FeatureDefinition.of(name, 1, (aggregation == Aggregation.COUNT ? "Number of " : "Any ") + what
            + " prescriptions (RxNorm " + String.join(", ", rxnorm) + ") in the last " + lookbackDays + " days",
        MedicationRequestSchema.TABLE, MedicationRequestSchema.AUTHORED_TIME,
        MedicationRequestSchema.MEDICATION_SYSTEM + " = '" + RXNORM + "' AND " + MedicationRequestSchema.MEDICATION_CODE + " IN ("
            + quoted(rxnorm) + ")", null, aggregation, lookbackDays);
  }

  /** Features for cardiometabolic cohort models. */
  public static final FeatureSet CARDIOMETABOLIC_V1 = new FeatureSet("cardiometabolic_v1", List.of(
      lastMeasurement("last_bmi", "39156-5", "body mass index", THREE_YEARS, 2 * YEAR),
      lastMeasurement("last_systolic_bp", "8480-6", "systolic blood pressure", THREE_YEARS, 2 * YEAR),
      lastMeasurement("last_diastolic_bp", "8462-4", "diastolic blood pressure", THREE_YEARS, 2 * YEAR),
      lastMeasurement("last_glucose", "2339-0", "glucose", THREE_YEARS, THREE_YEARS),
      lastMeasurement("last_hba1c", "4548-4", "hemoglobin A1c", THREE_YEARS, THREE_YEARS),
      lastMeasurement("last_total_cholesterol", "2093-3", "total cholesterol", THREE_YEARS, THREE_YEARS),
      lastMeasurement("last_triglycerides", "2571-8", "triglycerides", THREE_YEARS, THREE_YEARS),
      measurement("mean_systolic_bp_3y", "8480-6", "systolic blood pressure", Aggregation.MEAN, THREE_YEARS),
      measurement("max_glucose_3y", "2339-0", "glucose", Aggregation.MAX, THREE_YEARS),
      measurement("bmi_trend_3y", "39156-5", "body mass index", Aggregation.SLOPE, THREE_YEARS),
      hasCondition("has_hypertension", "essential hypertension", 20 * YEAR, "59621000"),
      hasCondition("has_obesity_finding", "BMI 30+ obesity", 5 * YEAR, "162864005", "408512008"),
      hasCondition("has_hyperlipidemia", "hyperlipidemia", 20 * YEAR, "55822004"),
      medication("on_antihypertensive_1y", "antihypertensive", Aggregation.EXISTS, YEAR,
          "310798", "314076", "308136", "197361", "999967", "316049"),
      medication("statin_prescriptions_1y", "statin", Aggregation.COUNT, YEAR, "314231", "312961", "259255", "316672"),
      FeatureDefinition.of("encounters_1y", 1, "Encounters in the last year", EncounterSchema.TABLE,
          EncounterSchema.START_TIME, null, null, Aggregation.COUNT, YEAR),
      FeatureDefinition.of("conditions_3y", 1, "Condition records in the last 3 years", ConditionSchema.TABLE,
          ConditionSchema.ONSET_TIME, null, null, Aggregation.COUNT, THREE_YEARS),
      FeatureDefinition.of("medication_requests_1y", 1, "Medication requests in the last year", MedicationRequestSchema.TABLE,
          MedicationRequestSchema.AUTHORED_TIME, null, null, Aggregation.COUNT, YEAR),
      FeatureDefinition.of("days_since_last_encounter", 1, "Days since the latest encounter (up to 3 years)",
          EncounterSchema.TABLE, EncounterSchema.START_TIME, null, null, Aggregation.DAYS_SINCE, THREE_YEARS)));

  private static String loincIs(String loinc) {
    return Measurements.CODE + " = '" + loinc + "'";
  }

  private static String quoted(String... codes) {
    return Arrays.stream(codes).map(c -> "'" + c + "'").collect(Collectors.joining(", "));
  }
}
