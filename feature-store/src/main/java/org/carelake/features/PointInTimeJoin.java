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
 * events with {@code as_of - lookback < event_time <= as_of} contribute, and a value whose newest
 * event is older than the feature's TTL is not served. Entity rows with no event in the window get
 * null (COUNT and EXISTS: 0), never a value from outside it.
 *
 * <p>Every aggregation is deterministic regardless of how Spark orders rows between tasks (means sum
 * exact decimals, slopes fold a sorted list), so a training set rebuilt from the same table
 * versions has the same content hash.
 */
public final class PointInTimeJoin {

  public static final String PATIENT_KEY = "patient_key";
  public static final String AS_OF = "as_of";

  private static final String EVENT_TIME = "_event_time";
  private static final String VALUE = "_value";
  private static final String NEWEST = "_newest_event";

  /** Exact decimal for sums: 18 digits before the point, 10 after. */
  private static final String EXACT = "decimal(28,10)";

  private static final String SLOPE_PER_YEAR = "aggregate(array_sort(collect_list(struct("
      + "(unix_micros(" + EVENT_TIME + ") - unix_micros(" + AS_OF + ")) / 86400000000D AS x, " + VALUE + " AS y))), "
      + "named_struct('n', 0D, 'sx', 0D, 'sy', 0D, 'sxx', 0D, 'sxy', 0D), "
      + "(a, e) -> named_struct('n', a.n + 1, 'sx', a.sx + e.x, 'sy', a.sy + e.y, 'sxx', a.sxx + e.x * e.x, 'sxy', a.sxy + e.x * e.y), "
      + "a -> CASE WHEN a.n * a.sxx - a.sx * a.sx > 1e-9 * a.n * a.sxx "
      + "THEN 365 * (a.n * a.sxy - a.sx * a.sy) / (a.n * a.sxx - a.sx * a.sx) END)";

  private PointInTimeJoin() {}

  /**
   * One feature for distinct entity keys.
   *
   * @param keys distinct {@code (patient_key, as_of)} rows
   * @param events the feature's source rows
   * @return {@code (patient_key, as_of, <feature>)} for keys with a value
   */
  public static Dataset<Row> aggregate(Dataset<Row> keys, Dataset<Row> events, FeatureDefinition feature) {
    Dataset<Row> selected = feature.filter() == null ? events : events.filter(expr(feature.filter()));
    Dataset<Row> prepared = selected.select(
        col(PATIENT_KEY).as("_pk"),
        col(feature.eventTimeColumn()).cast("timestamp").as(EVENT_TIME),
        (feature.aggregation().needsValue() ? expr(feature.value()).cast("double") : lit(null).cast("double")).as(VALUE));
    if (feature.aggregation().needsValue()) {
      prepared = prepared.filter(col(VALUE).isNotNull());
    }
    Column inWindow = col("_pk").equalTo(col(PATIENT_KEY))
        .and(col(EVENT_TIME).leq(col(AS_OF)))
        .and(col(EVENT_TIME).gt(col(AS_OF).minus(days(feature.lookbackDays()))));
    Dataset<Row> aggregated = keys.join(prepared, inWindow, "inner")
        .groupBy(col(PATIENT_KEY), col(AS_OF))
        .agg(aggregate(feature).as(feature.name()), max(col(EVENT_TIME)).as(NEWEST));
    if (feature.ttlDays() < feature.lookbackDays()) {
      aggregated = aggregated.filter(col(NEWEST).gt(col(AS_OF).minus(days(feature.ttlDays()))));
    }
    return aggregated.drop(NEWEST);
  }

  /**
   * Adds one feature column to the entity rows.
   *
   * @param entities rows with {@link #PATIENT_KEY} and {@link #AS_OF} (timestamp)
   * @param keys the distinct keys of {@code entities}, computed once by the caller
   */
  public static Dataset<Row> join(Dataset<Row> entities, Dataset<Row> keys, Dataset<Row> events, FeatureDefinition feature) {
    Dataset<Row> joined = entities.join(aggregate(keys, events, feature), Seqs.of(PATIENT_KEY, AS_OF), "left");
    if (feature.aggregation().zeroWhenEmpty()) {
      joined = joined.withColumn(feature.name(), when(col(feature.name()).isNull(), lit(0.0)).otherwise(col(feature.name())));
    }
    return joined;
  }

  private static Column days(int days) {
    return expr("INTERVAL " + days + " DAYS");
  }

  private static Column aggregate(FeatureDefinition feature) {
    return switch (feature.aggregation()) {
      case COUNT -> count(lit(1)).cast("double");
      case EXISTS -> lit(1.0);
      case LAST -> max_by(col(VALUE), struct(col(EVENT_TIME), col(VALUE)));
      case MEAN -> avg(col(VALUE).cast(EXACT)).cast("double");
      case MIN -> min(col(VALUE));
      case MAX -> max(col(VALUE));
      case SLOPE -> expr(SLOPE_PER_YEAR);
      case DAYS_SINCE -> datediff(max(col(AS_OF)), max(col(EVENT_TIME))).cast("double");
    };
  }
}
