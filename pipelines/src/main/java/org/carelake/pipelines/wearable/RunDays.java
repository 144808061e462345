package org.carelake.pipelines.wearable;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.carelake.core.schema.WearableDailySchema;
import org.carelake.core.schema.WearableMeasurementSchema;
import org.carelake.core.schema.WearableMeasurementSchema.Metric;

/**
 * {@link WearableDaily}'s two aggregations over {@link MeasurementRuns}, in one pass of our own
 * per shuffle partition: the runs, shuffled by patient hash and day, are added up per group (device,
 * zone, metric, granularity and, for heart rate, minute), then per day. The same figures as
 * Spark's aggregations in {@link WearableDaily} (which the plain path runs), without Spark's
 * object aggregates (a set of minutes and an exact percentile per day, kept as Java objects per
 * group and serialized between the partial and final aggregation) and without a second hash
 * aggregation over the groups. The resting estimate is Spark's {@code percentile} computed the same
 * way ({@link #percentile}).
 */
final class RunDays {

  /**
   * The day figures before rounding: patient hash, day, the figures {@link WearableDaily} names
   * (steps, active and sleep minutes, mean and maximum heart rate, weight), the heart-rate
   * minutes, the 10th percentile of minute means, and the zone first by name.
   */
  static final StructType SCHEMA = new StructType()
      .add("ph", DataTypes.LongType, false)
      .add(WearableMeasurementSchema.LOCAL_DAY, DataTypes.DateType, false)
      .add(WearableDailySchema.STEPS, DataTypes.DoubleType, true)
      .add(WearableDailySchema.ACTIVE_MINUTES, DataTypes.DoubleType, true)
      .add(WearableDailySchema.SLEEP_MINUTES, DataTypes.DoubleType, true)
      .add(WearableDailySchema.MEAN_HEART_RATE, DataTypes.DoubleType, true)
      .add(WearableDailySchema.MAX_HEART_RATE, DataTypes.DoubleType, true)
      .add("hr_minutes", DataTypes.IntegerType, false)
      .add("p10", DataTypes.DoubleType, true)
      .add(WearableDailySchema.WEIGHT_KG, DataTypes.DoubleType, true)
      .add("tz", DataTypes.StringType, false);

  private static final byte HEART_RATE = WearableDaily.code(Metric.HEART_RATE);
  private static final byte STEPS = WearableDaily.code(Metric.STEPS);
  private static final byte ACTIVE = WearableDaily.code(Metric.ACTIVE_MINUTES);
  private static final byte SLEEP = WearableDaily.code(Metric.SLEEP);
  private static final byte WEIGHT = WearableDaily.code(Metric.BODY_WEIGHT);

  private RunDays() {}

  /**
   * The day figures ({@link #SCHEMA}) of {@code runs} ({@link MeasurementRuns#SCHEMA}), with
   * {@code zones} giving the zone name behind each zone hash.
   */
  static Dataset<Row> of(Dataset<Row> runs, Map<Long, String> zones) {
    // Read by position below.
    StructType expected = MeasurementRuns.SCHEMA;
    boolean same = runs.schema().size() == expected.size();
    for (int i = 0; same && i < expected.size(); i++) {
      same = runs.schema().apply(i).name().equals(expected.apply(i).name())
          && runs.schema().apply(i).dataType().equals(expected.apply(i).dataType());
    }
    if (!same) {
      throw new IllegalArgumentException("runs must have the columns " + expected.toDDL() + ", not " + runs.schema().toDDL());
    }
    HashMap<Long, String> names = new HashMap<>(zones);
    Dataset<Row> byDay = runs.repartition(col("ph"), col(WearableMeasurementSchema.LOCAL_DAY));
    JavaRDD<InternalRow> days = byDay.queryExecution().toRdd().toJavaRDD().mapPartitions(task -> aggregate(task, names));
    return runs.sparkSession().internalCreateDataFrame(days.rdd(), SCHEMA, false);
  }

  /** A day: patient hash and day. */
  private record DayKey(long ph, int day) {}

  /** A group within a day: device, zone, metric, granularity, minute (heart rate only, else 0). */
  private record GroupKey(long dh, long zh, byte metric, byte granularity, boolean hasMinute, long minute) {}

  /** A group's sum, count and maximum. */
  private static final class Group {
    double sum;
    long count;
    double max;

    Group(double sum, long count, double max) {
      this.sum = sum;
      this.count = count;
      this.max = max;
    }
  }

  /** Positions of the runs' columns that must hold a value (day, metric, granularity, sum, count, maximum). */
  private static final int[] REQUIRED = {3, 4, 5, 7, 8, 9};

  private static Iterator<InternalRow> aggregate(Iterator<InternalRow> runs, Map<Long, String> zones) {
    Map<DayKey, Map<GroupKey, Group>> days = new HashMap<>();
    while (runs.hasNext()) {
      InternalRow r = runs.next();
      for (int c : REQUIRED) {
        if (r.isNullAt(c)) {
          // Measurements' day and value are required by silver's schema: a null here is a bug upstream, not data to skip.
          throw new IllegalStateException("a run without " + MeasurementRuns.SCHEMA.apply(c).name() + "; measurements must have a day and a value");
        }
      }
      DayKey day = new DayKey(r.getLong(0), r.getInt(3));
      boolean hasMinute = !r.isNullAt(6);
      GroupKey key = new GroupKey(r.getLong(1), r.getLong(2), r.getByte(4), r.getByte(5), hasMinute, hasMinute ? r.getLong(6) : 0L);
      double sum = r.getDouble(7);
      long count = r.getLong(8);
      double max = r.getDouble(9);
      Map<GroupKey, Group> groups = days.computeIfAbsent(day, d -> new HashMap<>());
      Group group = groups.get(key);
      if (group == null) {
        groups.put(key, new Group(sum, count, max));
      } else {
        group.sum += sum;
        group.count += count;
        group.max = greater(group.max, max);
      }
    }
    Map<Long, UTF8String> names = new HashMap<>();
    zones.forEach((hash, name) -> names.put(hash, UTF8String.fromString(name)));
    List<InternalRow> out = new ArrayList<>(days.size());
    days.forEach((day, groups) -> out.add(figures(day, groups, names)));
    return out.iterator();
  }

  /** One day's row of {@link #SCHEMA} from its groups. */
  private static InternalRow figures(DayKey day, Map<GroupKey, Group> groups, Map<Long, UTF8String> zones) {
    Double steps = null;
    Double active = null;
    Double sleep = null;
    double hrSum = 0;
    long hrCount = 0;
    Double hrMax = null;
    double weightSum = 0;
    long weightCount = 0;
    double[] minuteMeans = new double[groups.size()];
    int means = 0;
    Set<Long> minutes = new HashSet<>();
    UTF8String zone = null;
    for (Map.Entry<GroupKey, Group> e : groups.entrySet()) {
      GroupKey k = e.getKey();
      Group g = e.getValue();
      UTF8String z = zones.get(k.zh());
      if (z == null) {
        throw new IllegalStateException("a run's zone hash has no zone name");
      }
      if (zone == null || z.compareTo(zone) < 0) {
        zone = z;
      }
      if (k.hasMinute()) {
        minutes.add(k.minute());
      }
      if (k.metric() == HEART_RATE) {
        hrSum += g.sum;
        hrCount += g.count;
        hrMax = hrMax == null ? g.max : greater(hrMax, g.max);
        minuteMeans[means++] = g.sum / g.count;
      } else if (k.metric() == STEPS) {
        steps = steps == null ? g.sum : greater(steps, g.sum);
      } else if (k.metric() == ACTIVE) {
        active = active == null ? g.sum : greater(active, g.sum);
      } else if (k.metric() == SLEEP) {
        sleep = sleep == null ? g.sum : greater(sleep, g.sum);
      } else if (k.metric() == WEIGHT) {
        weightSum += g.sum;
        weightCount += g.count;
      }
    }
    return new GenericInternalRow(new Object[] {day.ph(), day.day(), steps, active, sleep,
        hrCount == 0 ? null : hrSum / hrCount, hrMax, minutes.size(),
        means == 0 ? null : percentile(Arrays.copyOf(minuteMeans, means), 0.1),
        weightCount == 0 ? null : weightSum / weightCount, zone});
  }

  /** Spark's {@code max} of two doubles: NaN above every number. */
  private static double greater(double a, double b) {
    return Double.isNaN(a) || a >= b && !Double.isNaN(b) ? a : b;
  }

  /**
   * Spark's exact {@code percentile(x, p)} of {@code values} (not empty): sorted, the position
   * {@code (n - 1) * p}, linearly interpolated between its neighbours as Spark's {@code Percentile}
   * does (the same operations in the same order, so the same double).
   */
  static double percentile(double[] values, double p) {
    Arrays.sort(values);
    double position = (values.length - 1) * p;
    long lower = (long) Math.floor(position);
    long higher = (long) Math.ceil(position);
    double lowerValue = values[(int) lower];
    if (higher == lower) {
      return lowerValue;
    }
    double higherValue = values[(int) higher];
    if (higherValue == lowerValue) {
      return lowerValue;
    }
    return (higher - position) * lowerValue + (position - lower) * higherValue;
  }
}
