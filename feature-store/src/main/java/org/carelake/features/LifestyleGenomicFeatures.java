package org.carelake.features;

import java.util.List;
import org.carelake.core.schema.GenomicResultSchema;
import org.carelake.core.schema.WearableDailySchema;

/**
 * Features over wearable days ({@code gold.wearable_daily}) and genomic results ({@code gold.prs},
 * {@code gold.pgx_marker}). A feature set that uses them needs those tables: building it without
 * them fails with the step to run first.
 */
public final class LifestyleGenomicFeatures {

  /** Days with less heart-rate coverage than this are not used (the device was mostly off the wrist). */
  public static final double MIN_COVERAGE = 0.5;

  private static final String COVERED = WearableDailySchema.COVERAGE + " >= " + MIN_COVERAGE;

  private LifestyleGenomicFeatures() {}

  public static FeatureDefinition wearableMean(String name, String column, String what) {
    return FeatureDefinition.of(name, 1, "Mean daily " + what + " over the last 30 days, days with at least " + (int) (100 * MIN_COVERAGE)
            + "% wear time", WearableDailySchema.TABLE, WearableDailySchema.DAY_END, COVERED + " AND " + column + " IS NOT NULL", column,
        Aggregation.MEAN, 30);
  }

  public static FeatureDefinition prs(String name, String scoreId, String what) {
    return FeatureDefinition.of(name, 1, "Polygenic risk score " + scoreId + " (" + what + "), as resulted", GenomicResultSchema.PRS,
        GenomicResultSchema.RESULT_TIME, GenomicResultSchema.SCORE_ID + " = '" + scoreId + "'", GenomicResultSchema.SCORE,
        Aggregation.LAST, 100 * 365);
  }

  public static FeatureDefinition pgx(String name, String marker, String what) {
    return FeatureDefinition.of(name, 1, "Copies of " + what + " (" + marker + "); null when not tested, never 0 for untested",
        GenomicResultSchema.PGX_MARKER, GenomicResultSchema.RESULT_TIME, GenomicResultSchema.MARKER + " = '" + marker + "' AND "
            + GenomicResultSchema.STATUS + " = 'tested'", GenomicResultSchema.ALT_COPIES, Aggregation.LAST, 100 * 365);
  }

  /** Cardiometabolic EHR features plus lifestyle (wearables) and genetics. */
  public static final FeatureSet CARDIOMETABOLIC_LIFESTYLE_GENOMIC_V1;

  static {
    java.util.List<FeatureDefinition> all = new java.util.ArrayList<>(ClinicalFeatures.CARDIOMETABOLIC_V1.features());
    all.addAll(List.of(
        wearableMean("steps_30d", WearableDailySchema.STEPS, "steps"),
        wearableMean("resting_hr_30d", WearableDailySchema.RESTING_HEART_RATE, "resting heart rate"),
        wearableMean("sleep_minutes_30d", WearableDailySchema.SLEEP_MINUTES, "sleep minutes"),
        FeatureDefinition.of("wearable_days_30d", 1, "Days in the last 30 with at least " + (int) (100 * MIN_COVERAGE)
            + "% wear time (coverage of the wearable features)", WearableDailySchema.TABLE, WearableDailySchema.DAY_END, COVERED, null,
            Aggregation.COUNT, 30),
        prs("prs_coronary_artery_disease", "PGS000018", "coronary artery disease"),
        prs("prs_type2_diabetes", "PGS000014", "type 2 diabetes"),
        pgx("slco1b1_rs4149056_copies", "SLCO1B1 rs4149056", "the SLCO1B1*5 risk allele (statin myopathy)")));
    CARDIOMETABOLIC_LIFESTYLE_GENOMIC_V1 = new FeatureSet("cardiometabolic_lifestyle_genomic_v1", all);
  }
}
