package org.carelake.pipelines.gold;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.year;

import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.BuildLineage;
import org.carelake.core.DeltaWriter;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.TableId;
import org.carelake.core.TableWrite;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.schema.MedicationRequestSchema;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.schema.PatientSchema;
import org.carelake.core.schema.PatientSummarySchema;

/**
 * Builds {@code gold.patient_summary} from silver: one row per patient with the demographics
 * fairness analyses group by and utilization counts. A pure function of its inputs, read at pinned
 * versions: each build records them in {@link BuildLineage}, and a build whose inputs have not moved
 * since the last one is skipped; the same silver versions give the same table (and no new version).
 */
public final class PatientSummaryJob {

  /** The silver tables the summary is built from. */
  public static final java.util.List<TableId> INPUTS = java.util.List.of(PatientSchema.TABLE, EncounterSchema.TABLE,
      ConditionSchema.TABLE, ObservationSchema.TABLE, MedicationRequestSchema.TABLE);

  private final SparkSession spark;
  private final Lakehouse lakehouse;

  public PatientSummaryJob(SparkSession spark, Lakehouse lakehouse) {
    this.spark = spark;
    this.lakehouse = lakehouse;
  }

  /** What a build did: its write, and whether it was skipped because the inputs it recorded had not moved. */
  public record Result(TableWrite write, boolean upToDate, Map<TableId, Long> inputVersions) {}

  /** The table's rows from the inputs at the given versions, without writing. */
  public Dataset<Row> plan(Map<TableId, Long> at) {
    java.util.function.Function<TableId, Dataset<Row>> read = t -> lakehouse.readAt(spark, t, at.get(t));
    Dataset<Row> patients = read.apply(PatientSchema.TABLE);
    Dataset<Row> encounters = read.apply(EncounterSchema.TABLE)
        .groupBy(col(EncounterSchema.PATIENT_KEY).as(PatientSummarySchema.PATIENT_KEY))
        .agg(min(EncounterSchema.START_TIME).as(PatientSummarySchema.FIRST_ENCOUNTER_TIME),
            max(EncounterSchema.START_TIME).as(PatientSummarySchema.LAST_ENCOUNTER_TIME),
            count(lit(1)).as(PatientSummarySchema.ENCOUNTER_COUNT));
    Dataset<Row> conditions = counts(read.apply(ConditionSchema.TABLE), ConditionSchema.PATIENT_KEY, PatientSummarySchema.CONDITION_COUNT);
    Dataset<Row> observations = counts(read.apply(ObservationSchema.TABLE), ObservationSchema.PATIENT_KEY,
        PatientSummarySchema.OBSERVATION_COUNT);
    Dataset<Row> medications = counts(read.apply(MedicationRequestSchema.TABLE), MedicationRequestSchema.PATIENT_KEY,
        PatientSummarySchema.MEDICATION_REQUEST_COUNT);
    return patients
        .select(
            col(PatientSchema.PATIENT_KEY).as(PatientSummarySchema.PATIENT_KEY),
            col(PatientSchema.GENDER).as(PatientSummarySchema.SEX),
            col(PatientSchema.RACE).as(PatientSummarySchema.RACE),
            col(PatientSchema.ETHNICITY).as(PatientSummarySchema.ETHNICITY),
            year(col(PatientSchema.BIRTH_DATE)).as(PatientSummarySchema.BIRTH_YEAR),
            col(PatientSchema.DECEASED_TIME).isNotNull().as(PatientSummarySchema.DECEASED),
            col(PatientSchema.STATE).as(PatientSummarySchema.STATE),
            col(PatientSchema.ZIP3).as(PatientSummarySchema.ZIP3))
        .join(encounters, PatientSummarySchema.PATIENT_KEY, "left")
        .join(conditions, PatientSummarySchema.PATIENT_KEY, "left")
        .join(observations, PatientSummarySchema.PATIENT_KEY, "left")
        .join(medications, PatientSummarySchema.PATIENT_KEY, "left")
        .select(java.util.Arrays.stream(PatientSummarySchema.SCHEMA.fieldNames()).map(c -> col(c)).toArray(org.apache.spark.sql.Column[]::new))
        .na().fill(0L, new String[] {PatientSummarySchema.ENCOUNTER_COUNT, PatientSummarySchema.CONDITION_COUNT,
            PatientSummarySchema.OBSERVATION_COUNT, PatientSummarySchema.MEDICATION_REQUEST_COUNT});
  }

  private org.carelake.pipelines.quality.StepChecks checks = org.carelake.pipelines.quality.StepChecks.none();

  /** The quality checks run on the table before the step commits (default: none). */
  public PatientSummaryJob checks(org.carelake.pipelines.quality.StepChecks checks) {
    this.checks = checks;
    return this;
  }

  /** Builds the table from the inputs' current versions, unless it is {@link #upToDate up to date} with them. */
  public Result execute() {
    Map<TableId, Long> inputs = inputVersions();
    return upToDate(inputs).orElseGet(() -> build(inputs));
  }

  /** The current version of each input: what a build now would read. */
  public Map<TableId, Long> inputVersions() {
    return new BuildLineage(spark, lakehouse).currentVersions(INPUTS);
  }

  /** The table as its last build left it, when that build read the inputs at exactly these versions. */
  public Optional<Result> upToDate(Map<TableId, Long> inputs) {
    return new BuildLineage(spark, lakehouse).upToDate(PatientSummarySchema.TABLE, inputs)
        .map(v -> new Result(new TableWrite(PatientSummarySchema.TABLE, v, v, 0, 0, 0), true, inputs));
  }

  /** Builds the table from the inputs at the given versions and records them. */
  public Result build(Map<TableId, Long> inputs) {
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      DeltaWriter writer = new DeltaWriter(spark, lakehouse, tx);
      TableWrite write = writer.replace(plan(inputs), PatientSummarySchema.TABLE);
      checks.run(spark, lakehouse, tx, "gold", org.carelake.core.Progress.silent());
      // the version after the checks, which may have moved rows to quarantine
      new BuildLineage(spark, lakehouse).record(writer, PatientSummarySchema.TABLE,
          lakehouse.version(spark, PatientSummarySchema.TABLE).orElseThrow(), inputs);
      tx.commit();
      return new Result(write, false, inputs);
    }
  }

  private static Dataset<Row> counts(Dataset<Row> rows, String patientKey, String name) {
    return rows.groupBy(col(patientKey).as(PatientSummarySchema.PATIENT_KEY)).agg(count(lit(1)).as(name));
  }
}
