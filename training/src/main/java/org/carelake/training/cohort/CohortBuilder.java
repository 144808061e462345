package org.carelake.training.cohort;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.date_add;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.months_between;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.carelake.core.SensitiveGroups;
import org.carelake.core.TableId;
import org.carelake.core.schema.ClaimSchema;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.schema.MedicationRequestSchema;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.schema.PatientSchema;
import org.carelake.core.spark.Seqs;
import org.carelake.features.Measurements;

/**
 * Compiles a {@link CohortDefinition} to Spark over the silver tables:
 *
 * <ol>
 *   <li>entry events: concept-set matches in the entry table within the study period;
 *   <li>index: the first entry event at which the age rule holds;
 *   <li>prior observation: an encounter at least N days before index;
 *   <li>inclusion and exclusion rules, in file order, over windows relative to index;
 *   <li>washout: no outcome on or before index;
 *   <li>label: first outcome within [index + start_days, index + end_days].
 * </ol>
 *
 * <p>Attrition is counted after every step, overall and per sensitive group, in one aggregation.
 * Groups are taken at the end of the study period (age band and payer type included), so a patient
 * stays in the same group through every step.
 */
public final class CohortBuilder {

  private final Function<TableId, Dataset<Row>> tables;
  private final SensitiveGroups groups;

  /** @param tables reads a silver table (possibly at a pinned Delta version) */
  public CohortBuilder(Function<TableId, Dataset<Row>> tables, SensitiveGroups groups) {
    this.tables = tables;
    this.groups = groups;
  }

  public CohortBuilder(Function<TableId, Dataset<Row>> tables) {
    this(tables, SensitiveGroups.DEFAULT);
  }

  private record Step(String rule, Dataset<Row> keys) {}

  /**
   * Computes {@code rows} once and cuts its plan short. Every step feeds the next step, the
   * attrition count and (the last one) the cohort's readers; without this each of them re-read
   * and re-joined the silver tables behind all earlier steps (a Delta file listing per table per
   * read), and later plans grew with every step.
   */
  private static Dataset<Row> computed(Dataset<Row> rows) {
    return rows.localCheckpoint(true);
  }

  /** The cohort rows (computed once) and the attrition after every step. */
  public Cohort build(CohortDefinition def) {
    List<Step> steps = new ArrayList<>();
    Dataset<Row> patients = computed(tables.apply(PatientSchema.TABLE)
        .select(col(PatientSchema.PATIENT_KEY).as(CohortSchema.PATIENT_KEY), col(PatientSchema.BIRTH_DATE).as("_birth")));
    steps.add(new Step("patients in silver.patient", patients));

    Dataset<Row> entry = events(def.entry().table(), def.entry().concepts())
        .filter(to_date(col("_time")).between(lit(def.studyPeriod().start().toString()), lit(def.studyPeriod().end().toString())));
    Dataset<Row> withAge = computed(entry.join(patients, CohortSchema.PATIENT_KEY)
        .withColumn(CohortSchema.AGE_AT_INDEX, floor(months_between(col("_time"), col("_birth")).divide(12))));
    steps.add(new Step("entry event (" + def.entry().table() + " " + def.entry().concepts().codes() + ") in study period "
        + def.studyPeriod().start() + " to " + def.studyPeriod().end(), withAge.select(CohortSchema.PATIENT_KEY).distinct()));

    Dataset<Row> eligible = withAge.filter(col(CohortSchema.AGE_AT_INDEX).between(def.ageAtIndex().min(), def.ageAtIndex().max()));
    Dataset<Row> index = computed(eligible.groupBy(CohortSchema.PATIENT_KEY)
        .agg(min(col("_time")).as(CohortSchema.INDEX_TIME))
        .join(patients, CohortSchema.PATIENT_KEY)
        .withColumn(CohortSchema.AGE_AT_INDEX, floor(months_between(col(CohortSchema.INDEX_TIME), col("_birth")).divide(12)))
        .drop("_birth"));
    steps.add(new Step("age at index " + def.ageAtIndex().min() + " to " + def.ageAtIndex().max(), index));

    if (def.priorObservationDays() > 0) {
      Dataset<Row> firstSeen = tables.apply(EncounterSchema.TABLE).groupBy(col(EncounterSchema.PATIENT_KEY).as(CohortSchema.PATIENT_KEY))
          .agg(min(EncounterSchema.START_TIME).as("_first_seen"));
      index = computed(index.join(firstSeen, CohortSchema.PATIENT_KEY)
          .filter(col("_first_seen").leq(col(CohortSchema.INDEX_TIME).minus(expr("INTERVAL " + def.priorObservationDays() + " DAYS"))))
          .drop("_first_seen"));
      steps.add(new Step("observed at least " + def.priorObservationDays() + " days before index", index));
    }

    for (CohortDefinition.Criterion rule : def.inclusion()) {
      index = computed(index.join(matching(rule, index), Seqs.of(CohortSchema.PATIENT_KEY), "left_semi"));
      steps.add(new Step("include: " + rule.name() + " " + describe(rule), index));
    }
    for (CohortDefinition.Criterion rule : def.exclusion()) {
      index = computed(index.join(matching(rule, index), Seqs.of(CohortSchema.PATIENT_KEY), "left_anti"));
      steps.add(new Step("exclude: " + rule.name() + " " + describe(rule), index));
    }

    Dataset<Row> outcomes = events(ConditionSchema.TABLE.name(), def.outcome().concepts());
    Dataset<Row> firstOutcome = outcomes.groupBy(CohortSchema.PATIENT_KEY).agg(min("_time").as("_first_outcome"));
    Dataset<Row> joined = index.join(firstOutcome, Seqs.of(CohortSchema.PATIENT_KEY), "left");
    if (def.outcome().washout()) {
      joined = computed(joined.filter(col("_first_outcome").isNull().or(col("_first_outcome").gt(col(CohortSchema.INDEX_TIME)))));
      steps.add(new Step("washout: no outcome on or before index", joined));
    }
    Column tarStart = date_add(to_date(col(CohortSchema.INDEX_TIME)), def.timeAtRisk().startDays());
    Column tarEnd = date_add(to_date(col(CohortSchema.INDEX_TIME)), def.timeAtRisk().endDays());
    Column inTar = col("_first_outcome").isNotNull().and(to_date(col("_first_outcome")).geq(tarStart))
        .and(to_date(col("_first_outcome")).leq(tarEnd));
    Dataset<Row> rows = computed(joined
        .withColumn(CohortSchema.OUTCOME_LABEL, when(inTar, lit(1.0)).otherwise(lit(0.0)))
        .withColumn(CohortSchema.OUTCOME_TIME, when(inTar, col("_first_outcome")))
        .withColumn(CohortSchema.TAR_END, tarEnd)
        .select(CohortSchema.PATIENT_KEY, CohortSchema.INDEX_TIME, CohortSchema.AGE_AT_INDEX, CohortSchema.OUTCOME_LABEL,
            CohortSchema.OUTCOME_TIME, CohortSchema.TAR_END));
    return new Cohort(def, rows, attrition(steps, def));
  }

  /** Patients of {@code index} with a matching event inside the rule's window around their index. */
  private Dataset<Row> matching(CohortDefinition.Criterion rule, Dataset<Row> index) {
    Dataset<Row> events = events(rule.table(), rule.concepts());
    if (rule.value() != null) {
      if (rule.value().min() != null) {
        events = events.filter(col("_value").geq(rule.value().min()));
      }
      if (rule.value().max() != null) {
        events = events.filter(col("_value").leq(rule.value().max()));
      }
    }
    Column from = col(CohortSchema.INDEX_TIME).plus(expr("INTERVAL " + rule.window().startDays() + " DAYS"));
    Column to = col(CohortSchema.INDEX_TIME).plus(expr("INTERVAL " + rule.window().endDays() + " DAYS"));
    return index.select(CohortSchema.PATIENT_KEY, CohortSchema.INDEX_TIME).join(events, CohortSchema.PATIENT_KEY)
        .filter(col("_time").geq(from).and(col("_time").leq(to)))
        .select(CohortSchema.PATIENT_KEY);
  }

  private static String describe(CohortDefinition.Criterion rule) {
    String value = rule.value() == null ? "" : " with value" + (rule.value().min() == null ? "" : " >= " + rule.value().min())
        + (rule.value().max() == null ? "" : " <= " + rule.value().max());
    return "(" + rule.table() + " " + rule.concepts().codes() + value + ", days " + rule.window().startDays() + " to "
        + rule.window().endDays() + " of index)";
  }

  /** Patients remaining after each step, overall and per group, from one grouping-sets aggregation. */
  private List<Cohort.AttritionStep> attrition(List<Step> steps, CohortDefinition def) {
    Dataset<Row> memberships = null;
    for (int i = 0; i < steps.size(); i++) {
      Dataset<Row> keys = steps.get(i).keys().select(col(CohortSchema.PATIENT_KEY), lit(i).as("_step"));
      memberships = memberships == null ? keys : memberships.unionByName(keys);
    }
    Dataset<Row> patientGroups = groups.ofPatients(tables.apply(PatientSchema.TABLE),
            groups.usesClaims() ? tables.apply(ClaimSchema.TABLE) : null, lit(def.studyPeriod().end().toString()).cast("date"))
        .withColumnRenamed(PatientSchema.PATIENT_KEY, CohortSchema.PATIENT_KEY);
    List<String> attributes = groups.attributes();
    String view = "_attrition_" + Integer.toHexString(System.identityHashCode(this)) + "_" + System.nanoTime();
    memberships.join(patientGroups, CohortSchema.PATIENT_KEY).createOrReplaceTempView(view);
    String sets = "(_step)" + attributes.stream().map(a -> ", (_step, `" + a + "`)").collect(Collectors.joining());
    String grouping = attributes.stream().map(a -> "grouping(`" + a + "`) AS `_g_" + a + "`").collect(Collectors.joining(", "));
    List<Row> counts = memberships.sparkSession().sql("SELECT _step, " + attributes.stream().map(a -> "`" + a + "`")
        .collect(Collectors.joining(", ")) + ", " + grouping + ", count(*) AS n FROM " + view + " GROUP BY GROUPING SETS (" + sets + ")")
        .collectAsList();
    memberships.sparkSession().catalog().dropTempView(view);

    long[] overall = new long[steps.size()];
    List<Map<String, Map<String, Long>>> byGroup = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      Map<String, Map<String, Long>> perAttribute = new LinkedHashMap<>();
      attributes.forEach(a -> perAttribute.put(a, new TreeMap<>()));
      byGroup.add(perAttribute);
    }
    for (Row r : counts) {
      int step = r.getInt(0);
      long n = r.getLong(r.length() - 1);
      String attribute = null;
      for (int a = 0; a < attributes.size(); a++) {
        if (((Number) r.get(1 + attributes.size() + a)).intValue() == 0) {
          attribute = attributes.get(a);
        }
      }
      if (attribute == null) {
        overall[step] = n;
      } else {
        byGroup.get(step).get(attribute).put(r.getString(1 + attributes.indexOf(attribute)), n);
      }
    }
    List<Cohort.AttritionStep> attrition = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      attrition.add(new Cohort.AttritionStep(steps.get(i).rule(), overall[i], byGroup.get(i)));
    }
    return attrition;
  }

  /** Rows of {@code table} matching the concept set, as (patient_key, _time, _value). */
  private Dataset<Row> events(String table, CohortDefinition.Concepts concepts) {
    String[] codes = concepts.codes().toArray(new String[0]);
    return switch (table) {
      case "condition" -> match(tables.apply(ConditionSchema.TABLE), ConditionSchema.PATIENT_KEY, ConditionSchema.CODE_SYSTEM,
          ConditionSchema.CODE, ConditionSchema.ONSET_TIME, null, concepts.system(), codes);
      case "encounter" -> match(tables.apply(EncounterSchema.TABLE), EncounterSchema.PATIENT_KEY, EncounterSchema.TYPE_SYSTEM,
          EncounterSchema.TYPE_CODE, EncounterSchema.START_TIME, null, concepts.system(), codes);
      // Measurements include component values (e.g. systolic blood pressure inside a blood pressure panel).
      case "observation" -> match(Measurements.flatten(tables.apply(ObservationSchema.TABLE)), Measurements.PATIENT_KEY,
          Measurements.CODE_SYSTEM, Measurements.CODE, Measurements.EFFECTIVE_TIME, Measurements.VALUE, concepts.system(), codes);
      case "medication_request" -> match(tables.apply(MedicationRequestSchema.TABLE), MedicationRequestSchema.PATIENT_KEY,
          MedicationRequestSchema.MEDICATION_SYSTEM, MedicationRequestSchema.MEDICATION_CODE, MedicationRequestSchema.AUTHORED_TIME,
          null, concepts.system(), codes);
      default -> throw new IllegalArgumentException("unsupported table " + table);
    };
  }

  private static Dataset<Row> match(Dataset<Row> rows, String patientKey, String system, String code, String time, String value,
      String wantedSystem, String[] codes) {
    return rows.filter(col(system).equalTo(wantedSystem).and(col(code).isin((Object[]) codes)).and(col(time).isNotNull()))
        .select(col(patientKey).as(CohortSchema.PATIENT_KEY), col(time).as("_time"),
            (value == null ? lit(null).cast("double") : col(value)).as("_value"));
  }
}
