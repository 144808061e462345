package org.carelake.features;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.TableId;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SparkExtension.class)
class PointInTimeJoinTest {

  private static final StructType EVENTS = DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
      DataTypes.createStructField("patient_key", DataTypes.StringType, false),
      DataTypes.createStructField("event_time", DataTypes.TimestampType, false),
      DataTypes.createStructField("value", DataTypes.DoubleType, false)});
  private static final StructType ENTITIES = DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
      DataTypes.createStructField("patient_key", DataTypes.StringType, false),
      DataTypes.createStructField("as_of", DataTypes.TimestampType, false)});
  private static final Instant T0 = Instant.parse("2020-01-01T00:00:00Z");

  record Event(String patient, Instant time, double value) {}

  record Entity(String patient, Instant asOf) {}

  private static FeatureDefinition feature(String name, Aggregation aggregation, int lookbackDays) {
    return FeatureDefinition.of(name, 1, "test", TableId.silver("events"), "event_time", null,
        aggregation.needsValue() ? "value" : null, aggregation, lookbackDays);
  }

  /** The obviously correct version: loop over every event for every entity row. */
  static Double reference(List<Event> events, Entity e, FeatureDefinition f) {
    Aggregation aggregation = f.aggregation();
    Instant from = e.asOf().minus(f.lookbackDays(), ChronoUnit.DAYS);
    List<Event> window = events.stream()
        .filter(ev -> ev.patient().equals(e.patient()) && !ev.time().isAfter(e.asOf()) && ev.time().isAfter(from)).toList();
    if (aggregation == Aggregation.COUNT) {
      return (double) window.size();
    }
    if (aggregation == Aggregation.EXISTS) {
      return window.isEmpty() ? 0.0 : 1.0;
    }
    if (window.isEmpty()) {
      return null;
    }
    Instant newest = window.stream().map(Event::time).max(Instant::compareTo).get();
    if (!newest.isAfter(e.asOf().minus(f.ttlDays(), ChronoUnit.DAYS))) {
      return null; // stale: the newest event is older than the TTL
    }
    return switch (aggregation) {
      case SLOPE -> slopePerYear(window, e.asOf());
      case DAYS_SINCE -> (double) ChronoUnit.DAYS.between(newest.atZone(java.time.ZoneOffset.UTC).toLocalDate(),
          e.asOf().atZone(java.time.ZoneOffset.UTC).toLocalDate());
      case LAST -> window.stream().max((a, b) -> a.time().equals(b.time()) ? Double.compare(a.value(), b.value())
          : a.time().compareTo(b.time())).get().value();
      case MEAN -> window.stream().mapToDouble(Event::value).average().getAsDouble();
      case MIN -> window.stream().mapToDouble(Event::value).min().getAsDouble();
      case MAX -> window.stream().mapToDouble(Event::value).max().getAsDouble();
      default -> throw new IllegalArgumentException();
    };
  }

  /** Textbook least squares: slope of value against days before the as-of time, times 365. */
  private static Double slopePerYear(List<Event> window, Instant asOf) {
    double n = window.size();
    double mx = window.stream().mapToDouble(ev -> days(ev, asOf)).average().getAsDouble();
    double my = window.stream().mapToDouble(Event::value).average().getAsDouble();
    double sxx = window.stream().mapToDouble(ev -> (days(ev, asOf) - mx) * (days(ev, asOf) - mx)).sum();
    double sxy = window.stream().mapToDouble(ev -> (days(ev, asOf) - mx) * (ev.value() - my)).sum();
    return n < 2 || sxx < 1e-9 ? null : 365 * sxy / sxx;
  }

  private static double days(Event ev, Instant asOf) {
    return (ev.time().toEpochMilli() - asOf.toEpochMilli()) / 86_400_000.0;
  }

  private static Map<String, Double> run(SparkSession spark, List<Event> events, List<Entity> entities, FeatureDefinition f) {
    return run(spark, events, entities, List.of(f)).get(f.name());
  }

  /** Feature name -> (patient@as_of -> value), all features computed together in one join. */
  private static Map<String, Map<String, Double>> run(SparkSession spark, List<Event> events, List<Entity> entities,
      List<FeatureDefinition> features) {
    Dataset<Row> ev = spark.createDataFrame(events.stream()
        .map(e -> RowFactory.create(e.patient(), Timestamp.from(e.time()), e.value())).toList(), EVENTS);
    Dataset<Row> en = spark.createDataFrame(entities.stream()
        .map(e -> RowFactory.create(e.patient(), Timestamp.from(e.asOf()))).toList(), ENTITIES);
    Dataset<Row> keys = en.distinct();
    Map<String, Map<String, Double>> out = new HashMap<>();
    for (Row r : PointInTimeJoin.join(en, keys, ev, features).collectAsList()) {
      for (FeatureDefinition f : features) {
        int i = r.fieldIndex(f.name());
        out.computeIfAbsent(f.name(), k -> new HashMap<>())
            .put(r.getString(0) + "@" + r.getTimestamp(1).toInstant(), r.isNullAt(i) ? null : r.getDouble(i));
      }
    }
    return out;
  }

  @Test
  void randomEventsAndIndexTimesNeverUseAFutureValueAndMatchTheReference(SparkSession spark) {
    Random random = new Random(20250101);
    for (int round = 0; round < 5; round++) {
      List<Event> events = new ArrayList<>();
      List<Entity> entities = new ArrayList<>();
      for (int p = 0; p < 20; p++) {
        String patient = "p" + p;
        for (int i = 0; i < random.nextInt(15); i++) {
          // Values encode the event time (days after T0), so a future value is recognisable.
          int day = random.nextInt(1000);
          events.add(new Event(patient, T0.plus(day, ChronoUnit.DAYS).plus(random.nextInt(3), ChronoUnit.HOURS), day));
        }
        for (int i = 0; i < 3; i++) {
          entities.add(new Entity(patient, T0.plus(random.nextInt(1000), ChronoUnit.DAYS)));
        }
      }
      List<Entity> unique = entities.stream().distinct().toList();
      // Every aggregation, each with its own window and TTL, computed together as one source's features.
      List<FeatureDefinition> features = new ArrayList<>();
      for (Aggregation aggregation : Aggregation.values()) {
        int lookback = 30 + random.nextInt(400);
        FeatureDefinition f = feature("f_" + aggregation.name().toLowerCase(java.util.Locale.ROOT), aggregation, lookback);
        if (!aggregation.zeroWhenEmpty() && random.nextBoolean()) {
          f = f.withTtl(1 + random.nextInt(lookback));
        }
        features.add(f);
      }
      Map<String, Map<String, Double>> actual = run(spark, events, unique, features);
      for (FeatureDefinition f : features) {
        Aggregation aggregation = f.aggregation();
        for (Entity e : unique) {
          String key = e.patient() + "@" + e.asOf();
          Double expected = reference(events, e, f);
          Double got = actual.get(f.name()).get(key);
          String what = aggregation + " lookback " + f.lookbackDays() + " ttl " + f.ttlDays() + " for " + key;
          if (expected == null || aggregation != Aggregation.SLOPE && aggregation != Aggregation.MEAN) {
            assertThat(got).as(what).isEqualTo(expected);
          } else {
            assertThat(got).as(what).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-6 * (1 + Math.abs(expected))));
          }
          if (aggregation == Aggregation.MAX && expected != null) {
            long asOfDay = ChronoUnit.DAYS.between(T0, e.asOf());
            assertThat(got).as("never a value from after the as-of time").isLessThanOrEqualTo((double) asOfDay);
          }
        }
      }
    }
  }

  @Test
  void eventExactlyAtAsOfCountsAndOneSecondLaterDoesNot(SparkSession spark) {
    Instant asOf = T0.plus(100, ChronoUnit.DAYS);
    List<Event> events = List.of(new Event("p", asOf, 1), new Event("p", asOf.plusSeconds(1), 99));
    Map<String, Double> last = run(spark, events, List.of(new Entity("p", asOf)), feature("f", Aggregation.LAST, 10));
    assertThat(last.get("p@" + asOf)).isEqualTo(1.0);
    Map<String, Double> outside = run(spark, List.of(new Event("p", asOf.minus(10, ChronoUnit.DAYS), 5)),
        List.of(new Entity("p", asOf)), feature("f", Aggregation.LAST, 10));
    assertThat(outside.get("p@" + asOf)).as("older than the lookback window (TTL)").isNull();
  }
}
