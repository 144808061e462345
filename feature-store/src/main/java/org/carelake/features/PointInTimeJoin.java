package org.carelake.features;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.datediff;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.carelake.core.spark.Seqs;

/**
 * Point-in-time join (Feast's semantics): for each entity row {@code (patient_key, as_of)}, only
 * events with {@code as_of - lookback < event_time <= as_of} contribute. Entity rows with no event in
 * the window get null (COUNT and EXISTS: 0), never a value from outside it.
 */
public final class PointInTimeJoin {

  public static final String PATIENT_KEY = "patient_key";
  public static final String AS_OF = "as_of";

  private static final String EVENT_TIME = "_event_time";
  private static final String VALUE = "_value";

  private PointInTimeJoin() {}

  /**
   * One feature for distinct entity keys.
   *
   * @param keys distinct {@code (patient_key, as_of)} rows
   * @param events the feature's source rows
   * @return {@code (patient_key, as_of, <feature>)} for keys with at least one event in the window
   */
  public static Dataset<Row> aggregate(Dataset<Row> keys, Dataset<Row> events, FeatureDefinition feature) {
    Dataset<Row> selected = feature.filter() == null ? events : events.filter(expr(feature.filter()));
    Dataset<Row> prepared = selected.select(
        col(PATIENT_KEY).as("_pk"),
        col(feature.eventTimeColumn()).cast("timestamp").as(EVENT_TIME),
        (feature.value() == null ? lit(null).cast("double") : expr(feature.value()).cast("double")).as(VALUE));
    Column inWindow = col("_pk").equalTo(col(PATIENT_KEY))
        .and(col(EVENT_TIME).leq(col(AS_OF)))
        .and(col(EVENT_TIME).gt(col(AS_OF).minus(expr("INTERVAL " + feature.lookbackDays() + " DAYS"))));
    return keys.join(prepared, inWindow, "inner")
        .groupBy(col(PATIENT_KEY), col(AS_OF))
        .agg(aggregate(feature).as(feature.name()));
  }

  /**
   * Adds one feature column to the entity rows.
   *
   * @param entities rows with {@link #PATIENT_KEY} and {@link #AS_OF} (timestamp)
   * @param keys the distinct keys of {@code entities}, computed once by the caller
   */
  public static Dataset<Row> join(Dataset<Row> entities, Dataset<Row> keys, Dataset<Row> events, FeatureDefinition feature) {
    Dataset<Row> joined = entities.join(aggregate(keys, events, feature), Seqs.of(PATIENT_KEY, AS_OF), "left");
    if (feature.aggregation() == Aggregation.COUNT || feature.aggregation() == Aggregation.EXISTS) {
      joined = joined.withColumn(feature.name(), when(col(feature.name()).isNull(), lit(0.0)).otherwise(col(feature.name())));
    }
    return joined;
  }

  private static Column aggregate(FeatureDefinition feature) {
    return switch (feature.aggregation()) {
      case COUNT -> count(lit(1)).cast("double");
      case EXISTS -> lit(1.0);
      case LAST -> max_by(col(VALUE), struct(col(EVENT_TIME), col(VALUE)));
      case MEAN -> avg(col(VALUE));
      case MIN -> min(col(VALUE));
      case MAX -> max(col(VALUE));
      case DAYS_SINCE -> datediff(max(col(AS_OF)), max(col(EVENT_TIME))).cast("double");
    };
  }
}
