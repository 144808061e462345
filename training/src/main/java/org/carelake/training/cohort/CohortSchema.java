package org.carelake.training.cohort;

/** Columns of a built cohort: one row per patient with an index date and an outcome label. */
public final class CohortSchema {

  public static final String PATIENT_KEY = "patient_key";
  public static final String INDEX_TIME = "index_time";
  public static final String OUTCOME_LABEL = "outcome_label";
  public static final String OUTCOME_TIME = "outcome_time";
  public static final String TAR_END = "time_at_risk_end";
  public static final String AGE_AT_INDEX = "age_at_index";

  private CohortSchema() {}
}
