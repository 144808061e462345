package org.carelake.pipelines.quality;

import static org.apache.spark.sql.functions.col;

import com.amazon.deequ.checks.Check;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.Lakehouse;
import org.carelake.core.TableId;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.schema.MedicationRequestSchema;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.schema.PatientSchema;

/**
 * The built-in physiological ranges per LOINC code that the {@code physiological_ranges} and
 * {@code expected_units} rules of the declarative suites ({@link DeclarativeSuites}) check.
 */
public final class SilverSuites {

  /** A plausible physiological range for a LOINC-coded vital sign or lab, in its UCUM unit. */
  public record VitalRange(String loinc, String name, String unit, double min, double max) {}

  public static final List<VitalRange> VITAL_RANGES = List.of(
      new VitalRange("8867-4", "heart rate", "/min", 20, 250),
      new VitalRange("9279-1", "respiratory rate", "/min", 4, 80),
      new VitalRange("8480-6", "systolic blood pressure", "mm[Hg]", 20, 300),
      new VitalRange("8462-4", "diastolic blood pressure", "mm[Hg]", 10, 200),
      new VitalRange("8310-5", "body temperature", "Cel", 30, 45),
      new VitalRange("8310-5", "body temperature", "[degF]", 86, 113),
      new VitalRange("39156-5", "body mass index", "kg/m2", 8, 100),
      new VitalRange("29463-7", "body weight", "kg", 0.3, 400),
      new VitalRange("8302-2", "body height", "cm", 30, 250),
      new VitalRange("4548-4", "hemoglobin A1c", "%", 2, 20),
      new VitalRange("2339-0", "glucose", "mg/dL", 10, 1000));

  /** Column added by {@code prepare}: does this row's patient_key exist in silver.patient? */
  static final String PATIENT_KNOWN = "_patient_known";

  private SilverSuites() {}

  /**
   * True when the observation and every component with this LOINC code is in range (or has no
   * quantity). Components matter: blood pressure arrives as a panel with systolic/diastolic parts.
   */
  static String rangePredicate(VitalRange r) {
    return "NOT (" + outOfRange("", r) + ") AND NOT exists(" + ObservationSchema.COMPONENTS + ", c -> " + outOfRange("c.", r) + ")";
  }

  /** A value of this code in this unit lies outside the range (other units are judged by their own range). */
  private static String outOfRange(String prefix, VitalRange r) {
    return "coalesce(" + prefix + ObservationSchema.CODE + " = '" + r.loinc() + "' AND " + prefix + ObservationSchema.VALUE_UNIT
        + " = '" + r.unit() + "' AND NOT (" + prefix + ObservationSchema.VALUE_QUANTITY + " BETWEEN " + r.min() + " AND " + r.max()
        + "), false)";
  }

  /** Values of this code carry one of the units a range is defined for. */
  static String unitPredicate(String loinc) {
    String units = VITAL_RANGES.stream().filter(r -> r.loinc().equals(loinc)).map(r -> "'" + r.unit() + "'")
        .collect(java.util.stream.Collectors.joining(", "));
    String bad = "coalesce(@" + ObservationSchema.CODE + " = '" + loinc + "' AND @" + ObservationSchema.VALUE_QUANTITY
        + " IS NOT NULL AND NOT (@" + ObservationSchema.VALUE_UNIT + " IN (" + units + ")), false)";
    return "NOT (" + bad.replace("@", "") + ") AND NOT exists(" + ObservationSchema.COMPONENTS + ", c -> " + bad.replace("@", "c.") + ")";
  }


}
