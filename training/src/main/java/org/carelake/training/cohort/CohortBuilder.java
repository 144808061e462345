package org.carelake.training.cohort;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.date_add;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.months_between;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.carelake.core.TableId;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.schema.MedicationRequestSchema;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.schema.PatientSchema;

/**
 * Compiles a {@link CohortDefinition} to Spark over the silver tables:
 *
 * <ol>
 *   <li>entry events: concept-set matches in the entry table within the study period;
 *   <li>index: the first entry event at which the age rule holds;
 *   <li>prior observation: an encounter at least N days before index;
 *   <li>washout: no outcome on or before index;
 *   <li>label: first outcome within [index + start_days, index + end_days].
 * </ol>
 */
public final class CohortBuilder {

  private final Function<TableId, Dataset<Row>> tables;

  /** @param tables reads a silver table (possibly at a pinned Delta version) */
  public CohortBuilder(Function<TableId, Dataset<Row>> tables) {
    this.tables = tables;
  }

  public Cohort build(CohortDefinition def) {
    List<Cohort.AttritionStep> attrition = new ArrayList<>();
    Dataset<Row> patients = tables.apply(PatientSchema.TABLE)
        .select(col(PatientSchema.PATIENT_KEY).as(CohortSchema.PATIENT_KEY), col(PatientSchema.BIRTH_DATE).as("_birth"));
    attrition.add(new Cohort.AttritionStep("patients in silver.patient", patients.count()));

    Dataset<Row> entry = events(def.entry().table(), def.entry().concepts())
        .filter(to_date(col("_time")).between(lit(def.studyPeriod().start().toString()), lit(def.studyPeriod().end().toString())));
    Dataset<Row> withAge = entry.join(patients, CohortSchema.PATIENT_KEY)
        .withColumn(CohortSchema.AGE_AT_INDEX, floor(months_between(col("_time"), col("_birth")).divide(12)));
    attrition.add(new Cohort.AttritionStep("entry event (" + def.entry().table() + " " + def.entry().concepts().codes()
        + ") in study period " + def.studyPeriod().start() + " to " + def.studyPeriod().end(), distinctPatients(withAge)));

    Dataset<Row> eligible = withAge.filter(col(CohortSchema.AGE_AT_INDEX).between(def.ageAtIndex().min(), def.ageAtIndex().max()));
    Dataset<Row> index = eligible.groupBy(CohortSchema.PATIENT_KEY)
        .agg(min(col("_time")).as(CohortSchema.INDEX_TIME))
        .join(patients, CohortSchema.PATIENT_KEY)
        .withColumn(CohortSchema.AGE_AT_INDEX, floor(months_between(col(CohortSchema.INDEX_TIME), col("_birth")).divide(12)))
        .drop("_birth");
    attrition.add(new Cohort.AttritionStep("age at index " + def.ageAtIndex().min() + " to " + def.ageAtIndex().max(), index.count()));

    if (def.priorObservationDays() > 0) {
      Dataset<Row> firstSeen = tables.apply(EncounterSchema.TABLE).groupBy(col(EncounterSchema.PATIENT_KEY).as(CohortSchema.PATIENT_KEY))
          .agg(min(EncounterSchema.START_TIME).as("_first_seen"));
      index = index.join(firstSeen, CohortSchema.PATIENT_KEY)
          .filter(col("_first_seen").leq(col(CohortSchema.INDEX_TIME).minus(
              org.apache.spark.sql.functions.expr("INTERVAL " + def.priorObservationDays() + " DAYS"))))
          .drop("_first_seen");
      attrition.add(new Cohort.AttritionStep("observed at least " + def.priorObservationDays() + " days before index", index.count()));
    }

    Dataset<Row> outcomes = events(ConditionSchema.TABLE.name(), def.outcome().concepts());
    Dataset<Row> firstOutcome = outcomes.groupBy(CohortSchema.PATIENT_KEY).agg(min("_time").as("_first_outcome"));
    Dataset<Row> joined = index.join(firstOutcome, org.carelake.core.spark.Seqs.of(CohortSchema.PATIENT_KEY), "left");
    if (def.outcome().washout()) {
      joined = joined.filter(col("_first_outcome").isNull().or(col("_first_outcome").gt(col(CohortSchema.INDEX_TIME))));
      attrition.add(new Cohort.AttritionStep("washout: no outcome on or before index", joined.count()));
    }
    Column tarStart = date_add(to_date(col(CohortSchema.INDEX_TIME)), def.timeAtRisk().startDays());
    Column tarEnd = date_add(to_date(col(CohortSchema.INDEX_TIME)), def.timeAtRisk().endDays());
    Column inTar = col("_first_outcome").isNotNull().and(to_date(col("_first_outcome")).geq(tarStart))
        .and(to_date(col("_first_outcome")).leq(tarEnd));
    Dataset<Row> rows = joined
        .withColumn(CohortSchema.OUTCOME_LABEL, when(inTar, lit(1.0)).otherwise(lit(0.0)))
        .withColumn(CohortSchema.OUTCOME_TIME, when(inTar, col("_first_outcome")))
        .withColumn(CohortSchema.TAR_END, tarEnd)
        .select(CohortSchema.PATIENT_KEY, CohortSchema.INDEX_TIME, CohortSchema.AGE_AT_INDEX, CohortSchema.OUTCOME_LABEL,
            CohortSchema.OUTCOME_TIME, CohortSchema.TAR_END);
    return new Cohort(def, rows, attrition);
  }

  /** Rows of {@code table} matching the concept set, as (patient_key, _time). */
  private Dataset<Row> events(String table, CohortDefinition.Concepts concepts) {
    String[] codes = concepts.codes().toArray(new String[0]);
    return switch (table) {
      case "condition" -> match(tables.apply(ConditionSchema.TABLE), ConditionSchema.PATIENT_KEY, ConditionSchema.CODE_SYSTEM,
          ConditionSchema.CODE, ConditionSchema.ONSET_TIME, concepts.system(), codes);
      case "encounter" -> match(tables.apply(EncounterSchema.TABLE), EncounterSchema.PATIENT_KEY, EncounterSchema.TYPE_SYSTEM,
          EncounterSchema.TYPE_CODE, EncounterSchema.START_TIME, concepts.system(), codes);
      case "observation" -> match(tables.apply(ObservationSchema.TABLE), ObservationSchema.PATIENT_KEY, ObservationSchema.CODE_SYSTEM,
          ObservationSchema.CODE, ObservationSchema.EFFECTIVE_TIME, concepts.system(), codes);
      case "medication_request" -> match(tables.apply(MedicationRequestSchema.TABLE), MedicationRequestSchema.PATIENT_KEY,
          MedicationRequestSchema.MEDICATION_SYSTEM, MedicationRequestSchema.MEDICATION_CODE, MedicationRequestSchema.AUTHORED_TIME,
          concepts.system(), codes);
      default -> throw new IllegalArgumentException("unsupported entry table " + table);
    };
  }

  private static Dataset<Row> match(Dataset<Row> rows, String patientKey, String system, String code, String time, String wantedSystem,
      String[] codes) {
    return rows.filter(col(system).equalTo(wantedSystem).and(col(code).isin((Object[]) codes)).and(col(time).isNotNull()))
        .select(col(patientKey).as(CohortSchema.PATIENT_KEY), col(time).as("_time"));
  }

  private static long distinctPatients(Dataset<Row> rows) {
    return rows.select(CohortSchema.PATIENT_KEY).distinct().count();
  }
}
