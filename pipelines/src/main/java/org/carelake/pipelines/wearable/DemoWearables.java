package org.carelake.pipelines.wearable;

import static org.apache.spark.sql.functions.col;

import java.nio.file.Path;
import java.time.LocalDate;
import java.time.Period;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.Pseudonymizer;
import org.carelake.core.schema.BronzeResourceSchema;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.PatientSchema;

/**
 * The demo's wearable step: picks a share of the ingested adult patients alive at the reference
 * date, generates their exports ({@link WearableGenerator}) and ingests them.
 */
public final class DemoWearables {

  /** SNOMED CT: essential hypertension; diabetes mellitus type 2. */
  static final String HYPERTENSION = "59621000";
  static final String DIABETES = "44054006";
  public static final String TIME_ZONE = "America/New_York";
  public static final int DAYS = 14;
  static final int MIN_SUBJECTS = 3;

  private DemoWearables() {}

  /**
   * Adult patients alive at {@code referenceDate}, about {@code percent} in a hundred, chosen by
   * their pseudonym (so the choice is stable and says nothing about the person).
   */
  public static List<WearableGenerator.Subject> subjects(SparkSession spark, Lakehouse lakehouse, Pseudonymizer keys,
      LocalDate referenceDate, int percent) {
    Map<String, Row> patients = new HashMap<>();
    for (Row r : lakehouse.read(spark, PatientSchema.TABLE).select(PatientSchema.PATIENT_KEY, PatientSchema.GENDER, PatientSchema.BIRTH_DATE,
        PatientSchema.DECEASED_TIME).collectAsList()) {
      patients.put(r.getString(0), r);
    }
    Set<String> hypertension = new HashSet<>();
    Set<String> diabetes = new HashSet<>();
    for (Row r : lakehouse.read(spark, ConditionSchema.TABLE).filter(col(ConditionSchema.CODE).isin(HYPERTENSION, DIABETES))
        .select(ConditionSchema.PATIENT_KEY, ConditionSchema.CODE).distinct().collectAsList()) {
      (HYPERTENSION.equals(r.getString(1)) ? hypertension : diabetes).add(r.getString(0));
    }
    List<String> ids = lakehouse.read(spark, BronzeResourceSchema.TABLE)
        .filter(col(BronzeResourceSchema.RESOURCE_TYPE).equalTo("Patient").and(col(BronzeResourceSchema.DELETED).equalTo(false)))
        .select(BronzeResourceSchema.RESOURCE_ID).distinct().orderBy(BronzeResourceSchema.RESOURCE_ID).collectAsList().stream()
        .map(r -> r.getString(0)).toList();
    List<WearableGenerator.Subject> chosen = new ArrayList<>();
    List<WearableGenerator.Subject> others = new ArrayList<>();
    for (String id : ids) {
      String key = keys.patientKey(id);
      Row p = patients.get(key);
      if (p == null || p.isNullAt(2) || !p.isNullAt(3)) {
        continue;
      }
      LocalDate birth = p.<java.sql.Date>getAs(2).toLocalDate();
      if (Period.between(birth, referenceDate).getYears() < 18) {
        continue;
      }
      var subject = new WearableGenerator.Subject(id, birth, "female".equals(p.getString(1)), hypertension.contains(key),
          diabetes.contains(key));
      (Math.floorMod(key.hashCode(), 100) < percent ? chosen : others).add(subject);
    }
    // a small population still gets a few wearers, so the demo always exercises the path
    for (int i = 0; chosen.size() < MIN_SUBJECTS && i < others.size(); i++) {
      chosen.add(others.get(i));
    }
    return chosen;
  }

  /** Generates (or reuses) the exports for the subjects and ingests them. */
  public static WearableIngestResult run(SparkSession spark, Lakehouse lakehouse, Pseudonymizer keys, LocalDate referenceDate, long seed,
      int percent, org.carelake.pipelines.quality.StepChecks checks, Progress progress) {
    List<WearableGenerator.Subject> subjects = subjects(spark, lakehouse, keys, referenceDate, percent);
    Path dir = lakehouse.rawDir().resolve("wearables-" + seed + "-" + referenceDate + "-" + subjects.size());
    WearableGenerator.generate(subjects, referenceDate.minusDays(1), DAYS, seed, TIME_ZONE, dir, progress);
    return new WearableIngestJob(spark, lakehouse, keys, progress).checks(checks).execute(WearableIngestJob.plan(dir.resolve(WearableGenerator.EXPORTS)), dir.resolve("devices.csv"), null,
        false);
  }
}
