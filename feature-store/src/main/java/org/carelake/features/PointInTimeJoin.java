package org.carelake.features;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.datediff;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.carelake.core.spark.Seqs;

/**
 * Point-in-time join (Feast's semantics): for each entity row {@code (patient_key, as_of)}, only
 * events with {@code as_of - lookback < event_time <= as_of} contribute to a feature, and a value
 * whose newest event is older than the feature's TTL is not served. Entity rows with no event in
 * the window get null (COUNT and EXISTS: 0), never a value from outside it.
 *
 * <p>Features that read the same source and event time are computed together: one join of the
 * entity keys with the source's events (bounded by the longest window), one aggregation with a
 * conditional aggregate per feature. Every aggregation is deterministic regardless of how Spark
 * orders rows between tasks (means sum exact decimals, slopes fold a sorted list), so a training
 * set rebuilt from the same table versions has the same content hash.
 */
public final class PointInTimeJoin {

  public static final String PATIENT_KEY = "patient_key";
  public static final String AS_OF = "as_of";

  private static final String EVENT_TIME = "_event_time";

  /** Exact decimal for sums: 18 digits before the point, 10 after. */
  private static final String EXACT = "decimal(28,10)";

  private PointInTimeJoin() {}

  /** One feature; see {@link #aggregate(Dataset, Dataset, List)}. */
  public static Dataset<Row> aggregate(Dataset<Row> keys, Dataset<Row> events, FeatureDefinition feature) {
    return aggregate(keys, events, List.of(feature));
  }

  /**
   * Features over one source for distinct entity keys.
   *
   * @param keys distinct {@code (patient_key, as_of)} rows
   * @param events the source rows; every feature must use the same event-time column
   * @return {@code (patient_key, as_of, <feature>...)} for keys with at least one event in the
   *     longest window (COUNT and EXISTS are 0, other features null, where their own window is empty)
   */
  public static Dataset<Row> aggregate(Dataset<Row> keys, Dataset<Row> events, List<FeatureDefinition> features) {
    String timeColumn = features.get(0).eventTimeColumn();
    if (features.stream().anyMatch(f -> !f.eventTimeColumn().equals(timeColumn))) {
      throw new IllegalArgumentException("features aggregated together must share an event-time column: " + features);
    }
    int longest = features.stream().mapToInt(FeatureDefinition::lookbackDays).max().orElseThrow();
    Column anyFilter = null;
    for (FeatureDefinition f : features) {
      if (f.filter() == null) {
        anyFilter = null;
        break;
      }
      anyFilter = anyFilter == null ? expr(f.filter()) : anyFilter.or(expr(f.filter()));
    }
    Dataset<Row> selected = anyFilter == null ? events : events.filter(anyFilter);
    Dataset<Row> prepared = selected.withColumnRenamed(PATIENT_KEY, "_pk")
        .withColumn(EVENT_TIME, col(timeColumn).cast("timestamp"))
        .filter(col(EVENT_TIME).isNotNull());
    Column inLongest = col("_pk").equalTo(col(PATIENT_KEY))
        .and(col(EVENT_TIME).leq(col(AS_OF)))
        .and(col(EVENT_TIME).gt(col(AS_OF).minus(days(longest))));
    List<Column> aggregates = new ArrayList<>();
    List<Column> finals = new ArrayList<>(List.of(col(PATIENT_KEY), col(AS_OF)));
    for (int i = 0; i < features.size(); i++) {
      FeatureDefinition f = features.get(i);
      Column in = col(EVENT_TIME).gt(col(AS_OF).minus(days(f.lookbackDays())));
      if (f.filter() != null) {
        in = in.and(expr(f.filter()));
      }
      Column value = f.aggregation().needsValue() ? expr(f.value()).cast("double") : lit(null).cast("double");
      if (f.aggregation().needsValue()) {
        in = in.and(value.isNotNull());
      }
      String agg = "_agg" + i;
      String newest = "_newest" + i;
      aggregates.add(aggregate(f, in, value).as(agg));
      Column result = col(agg);
      if (f.aggregation().zeroWhenEmpty()) {
        result = coalesce(result, lit(0.0));
      } else if (f.ttlDays() < f.lookbackDays()) {
        aggregates.add(max(when(in, col(EVENT_TIME))).as(newest));
        result = when(col(newest).gt(col(AS_OF).minus(days(f.ttlDays()))), result);
      }
      finals.add(result.as(f.name()));
    }
    return keys.join(prepared, inLongest, "inner")
        .groupBy(col(PATIENT_KEY), col(AS_OF))
        .agg(aggregates.get(0), aggregates.subList(1, aggregates.size()).toArray(new Column[0]))
        .select(finals.toArray(new Column[0]));
  }

  /**
   * Adds features of one source to the entity rows.
   *
   * @param entities rows with {@link #PATIENT_KEY} and {@link #AS_OF} (timestamp)
   * @param keys the distinct keys of {@code entities}, computed once by the caller
   */
  public static Dataset<Row> join(Dataset<Row> entities, Dataset<Row> keys, Dataset<Row> events, List<FeatureDefinition> features) {
    Dataset<Row> joined = entities.join(aggregate(keys, events, features), Seqs.of(PATIENT_KEY, AS_OF), "left");
    for (FeatureDefinition f : features) {
      if (f.aggregation().zeroWhenEmpty()) {
        joined = joined.withColumn(f.name(), coalesce(col(f.name()), lit(0.0)));
      }
    }
    return joined;
  }

  public static Dataset<Row> join(Dataset<Row> entities, Dataset<Row> keys, Dataset<Row> events, FeatureDefinition feature) {
    return join(entities, keys, events, List.of(feature));
  }

  private static Column days(int days) {
    return expr("INTERVAL " + days + " DAYS");
  }

  /** The feature's aggregate over the rows where {@code in} holds (other rows contribute nothing). */
  private static Column aggregate(FeatureDefinition f, Column in, Column value) {
    return switch (f.aggregation()) {
      case COUNT -> org.apache.spark.sql.functions.sum(when(in, lit(1L)).otherwise(lit(0L))).cast("double");
      case EXISTS -> max(when(in, lit(1.0)).otherwise(lit(0.0)));
      // The latest event's value, ties broken by the larger value: max of (time, value) pairs.
      case LAST -> max(when(in, struct(col(EVENT_TIME).as("t"), value.as("v")))).getField("v");
      case MEAN -> avg(when(in, value.cast(EXACT))).cast("double");
      case MIN -> min(when(in, value));
      case MAX -> max(when(in, value));
      case SLOPE -> slopePerYear(in, value);
      case DAYS_SINCE -> datediff(max(col(AS_OF)), max(when(in, col(EVENT_TIME)))).cast("double");
    };
  }

  /**
   * Least-squares slope of the value against days relative to the as-of time, times 365: sums
   * folded over the window's (x, y) pairs in sorted order, so the result does not depend on the
   * order Spark delivers rows in. Null with fewer than two distinct times.
   */
  private static Column slopePerYear(Column in, Column value) {
    Column x = col(EVENT_TIME).cast("double").minus(col(AS_OF).cast("double")).divide(86400.0);
    Column pairs = org.apache.spark.sql.functions.array_sort(
        org.apache.spark.sql.functions.collect_list(when(in, struct(x.as("x"), value.as("y")))));
    Column zero = struct(lit(0.0).as("n"), lit(0.0).as("sx"), lit(0.0).as("sy"), lit(0.0).as("sxx"), lit(0.0).as("sxy"));
    scala.Function2<Column, Column, Column> add = (a, e) -> struct(
        a.getField("n").plus(1).as("n"),
        a.getField("sx").plus(e.getField("x")).as("sx"),
        a.getField("sy").plus(e.getField("y")).as("sy"),
        a.getField("sxx").plus(e.getField("x").multiply(e.getField("x"))).as("sxx"),
        a.getField("sxy").plus(e.getField("x").multiply(e.getField("y"))).as("sxy"));
    scala.Function1<Column, Column> finish = a -> {
      Column denominator = a.getField("n").multiply(a.getField("sxx")).minus(a.getField("sx").multiply(a.getField("sx")));
      return when(denominator.gt(lit(1e-9).multiply(a.getField("n")).multiply(a.getField("sxx"))),
          lit(365.0).multiply(a.getField("n").multiply(a.getField("sxy")).minus(a.getField("sx").multiply(a.getField("sy"))))
              .divide(denominator));
    };
    return org.apache.spark.sql.functions.aggregate(pairs, zero, add, finish);
  }
}
