package org.carelake.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.months_between;
import static org.apache.spark.sql.functions.when;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.carelake.core.TableId;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.schema.PatientSchema;

/**
 * Materializes a feature set for entity rows {@code (patient_key, as_of)} point-in-time correctly.
 * Sources are resolved through a function so callers decide which table versions are read (the
 * training path passes time-travel reads pinned to recorded Delta versions).
 */
public final class FeatureStore implements AutoCloseable {

  public static final String AGE_AT_AS_OF = "age_at_as_of";
  public static final String SEX_FEMALE = "sex_female";

  private final Function<TableId, Dataset<Row>> tables;
  private final Map<TableId, Dataset<Row>> resolved = new LinkedHashMap<>();
  private final java.util.List<Dataset<Row>> cached = new java.util.ArrayList<>();

  /** @param tables reads a silver/gold table (e.g. at a pinned Delta version) */
  public FeatureStore(Function<TableId, Dataset<Row>> tables) {
    this.tables = tables;
  }

  /**
   * The entity rows with demographics and every feature of the set, in the set's column order.
   * Entity keys are computed once and cached (until {@link #close()}); the features of each source
   * and event-time column are aggregated together against them and joined back, so the plan has one
   * join and one aggregation per source, not per feature. Materialize (or cache) the result before
   * closing the store.
   */
  public Dataset<Row> features(Dataset<Row> entities, FeatureSet set) {
    Dataset<Row> base = withDemographics(entities).cache();
    Dataset<Row> keys = base.select(col(PointInTimeJoin.PATIENT_KEY), col(PointInTimeJoin.AS_OF)).distinct().cache();
    cached.add(base);
    cached.add(keys);
    Map<String, java.util.List<FeatureDefinition>> bySource = new LinkedHashMap<>();
    for (FeatureDefinition feature : set.features()) {
      bySource.computeIfAbsent(feature.source().qualifiedName() + "#" + feature.eventTimeColumn(), k -> new java.util.ArrayList<>())
          .add(feature);
    }
    Dataset<Row> rows = base;
    for (java.util.List<FeatureDefinition> group : bySource.values()) {
      rows = PointInTimeJoin.join(rows, keys, source(group.get(0).source()), group);
    }
    java.util.List<org.apache.spark.sql.Column> columns = new java.util.ArrayList<>();
    for (String c : base.columns()) {
      columns.add(col(c));
    }
    set.names().forEach(n -> columns.add(col(n)));
    return rows.select(columns.toArray(new org.apache.spark.sql.Column[0]));
  }

  /** Releases the cached entity keys. */
  @Override
  public void close() {
    cached.forEach(Dataset::unpersist);
    cached.clear();
  }

  /** Age at the as-of time in whole years, and sex, from silver.patient (not time-varying). */
  public Dataset<Row> withDemographics(Dataset<Row> entities) {
    Dataset<Row> patients = tables.apply(PatientSchema.TABLE).select(
        col(PatientSchema.PATIENT_KEY).as(PointInTimeJoin.PATIENT_KEY),
        col(PatientSchema.BIRTH_DATE).as("_birth_date"),
        col(PatientSchema.GENDER).as("_gender"));
    return entities.join(patients, PointInTimeJoin.PATIENT_KEY, "left")
        .withColumn(AGE_AT_AS_OF, floor(months_between(col(PointInTimeJoin.AS_OF), col("_birth_date")).divide(12)).cast("double"))
        .withColumn(SEX_FEMALE, when(col("_gender").isNull(), lit(null).cast("double"))
            .otherwise(when(col("_gender").equalTo("female"), lit(1.0)).otherwise(lit(0.0))))
        .drop("_birth_date", "_gender");
  }

  private Dataset<Row> source(TableId table) {
    return resolved.computeIfAbsent(table, t -> t.equals(Measurements.SOURCE)
        ? Measurements.flatten(tables.apply(ObservationSchema.TABLE))
        : tables.apply(t));
  }
}
