package org.carelake.pipelines.wearable;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.date_add;
import static org.apache.spark.sql.functions.date_trunc;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_utc_timestamp;
import static org.apache.spark.sql.functions.when;

import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.carelake.core.schema.WearableDailySchema;
import org.carelake.core.schema.WearableMeasurementSchema;
import org.carelake.core.schema.WearableMeasurementSchema.Metric;
import org.carelake.core.spark.Seqs;

/**
 * {@code gold.wearable_daily} from {@code silver.wearable_measurement}: one row per patient and
 * local calendar day.
 *
 * <ul>
 *   <li>Steps, active minutes and sleep add up within one device and one granularity (minute, hour,
 *       day); when a device exported the same day at several granularities (Fitabase ships daily,
 *       hourly and minute files), the most complete account, the largest total, counts, since a
 *       finer export can be cut short but never exceeds the device's own total. With several
 *       devices, the largest device total counts (a phone and a watch count the same steps).
 *   <li>Heart rate: mean and maximum over every sample; the resting estimate is the 10th
 *       percentile of the day's minute means (from 60 minutes with data on; else null).
 *   <li>Coverage: the share of the day's minutes (1,380 or 1,500 on days of a clock change) with
 *       at least one heart-rate sample.
 *   <li>Weight: the mean of the day's readings.
 * </ul>
 * Values are rounded to two decimals, so recomputing a day gives the same row bit for bit.
 */
public final class WearableDaily {

  /** Resting heart rate needs at least this many minutes with heart-rate data on the day. */
  public static final int MIN_MINUTES_FOR_RESTING = 60;

  private static final String P = WearableMeasurementSchema.PATIENT_KEY;
  private static final String DAY = WearableMeasurementSchema.LOCAL_DAY;

  private WearableDaily() {}

  /** The daily rows of every (patient, local day) present in {@code measurements}. */
  public static Dataset<Row> compute(Dataset<Row> measurements) {
    Dataset<Row> m = measurements.select(col(P), col(DAY), col(WearableMeasurementSchema.DEVICE_KEY), col(WearableMeasurementSchema.METRIC),
        col(WearableMeasurementSchema.START_TIME), col(WearableMeasurementSchema.END_TIME), col(WearableMeasurementSchema.VALUE),
        col(WearableMeasurementSchema.TIME_ZONE));

    Column seconds = col(WearableMeasurementSchema.END_TIME).cast("long").minus(col(WearableMeasurementSchema.START_TIME).cast("long"));
    Column granularity = when(seconds.leq(60), lit("minute")).when(seconds.leq(3600), lit("hour")).otherwise(lit("day"));
    List<String> additive = java.util.Arrays.stream(Metric.values()).filter(Metric::additive).map(Metric::id).toList();
    Dataset<Row> totals = m.filter(col(WearableMeasurementSchema.METRIC).isin(additive.toArray()))
        .groupBy(col(P), col(DAY), col(WearableMeasurementSchema.METRIC), col(WearableMeasurementSchema.DEVICE_KEY), granularity.as("g"))
        .agg(sum(WearableMeasurementSchema.VALUE).as("total"))
        .groupBy(P, DAY)
        .agg(metricMax(Metric.STEPS).as(WearableDailySchema.STEPS), metricMax(Metric.ACTIVE_MINUTES).as(WearableDailySchema.ACTIVE_MINUTES),
            metricMax(Metric.SLEEP).as(WearableDailySchema.SLEEP_MINUTES));

    Dataset<Row> heart = m.filter(col(WearableMeasurementSchema.METRIC).equalTo(Metric.HEART_RATE.id()))
        .groupBy(col(P), col(DAY), date_trunc("minute", col(WearableMeasurementSchema.START_TIME)).as("minute"))
        .agg(sum(WearableMeasurementSchema.VALUE).as("s"), count(lit(1)).as("n"), max(WearableMeasurementSchema.VALUE).as("mx"))
        .groupBy(P, DAY)
        .agg(sum("s").divide(sum("n")).as(WearableDailySchema.MEAN_HEART_RATE), max("mx").as(WearableDailySchema.MAX_HEART_RATE),
            count(lit(1)).as("hr_minutes"), expr("percentile(s / n, 0.1)").as("p10"));

    Dataset<Row> weight = m.filter(col(WearableMeasurementSchema.METRIC).equalTo(Metric.BODY_WEIGHT.id()))
        .groupBy(P, DAY).agg(avg(WearableMeasurementSchema.VALUE).as(WearableDailySchema.WEIGHT_KG));

    Dataset<Row> zone = m.groupBy(P, DAY).agg(min(WearableMeasurementSchema.TIME_ZONE).as("tz"));

    scala.collection.Seq<String> keys = Seqs.of(P, DAY);
    Dataset<Row> days = zone.join(totals, keys, "left").join(heart, keys, "left").join(weight, keys, "left");
    Column dayStart = to_utc_timestamp(col(DAY).cast("timestamp"), col("tz"));
    Column dayEnd = to_utc_timestamp(date_add(col(DAY), 1).cast("timestamp"), col("tz"));
    Column minutesInDay = dayEnd.cast("long").minus(dayStart.cast("long")).divide(60);
    return days.select(
        col(P).as(WearableDailySchema.PATIENT_KEY),
        col(DAY).as(WearableDailySchema.DAY),
        dayEnd.as(WearableDailySchema.DAY_END),
        round2(col(WearableDailySchema.STEPS)).as(WearableDailySchema.STEPS),
        round2(col(WearableDailySchema.ACTIVE_MINUTES)).as(WearableDailySchema.ACTIVE_MINUTES),
        round2(when(col("hr_minutes").geq(MIN_MINUTES_FOR_RESTING), col("p10"))).as(WearableDailySchema.RESTING_HEART_RATE),
        round2(col(WearableDailySchema.MEAN_HEART_RATE)).as(WearableDailySchema.MEAN_HEART_RATE),
        round2(col(WearableDailySchema.MAX_HEART_RATE)).as(WearableDailySchema.MAX_HEART_RATE),
        round2(col(WearableDailySchema.SLEEP_MINUTES)).as(WearableDailySchema.SLEEP_MINUTES),
        round2(col(WearableDailySchema.WEIGHT_KG)).as(WearableDailySchema.WEIGHT_KG),
        round(least(coalesce(col("hr_minutes"), lit(0L)).divide(minutesInDay), lit(1.0)), 4).as(WearableDailySchema.COVERAGE));
  }

  private static Column metricMax(Metric metric) {
    return max(when(col(WearableMeasurementSchema.METRIC).equalTo(metric.id()), col("total")));
  }

  private static Column round2(Column c) {
    return round(c.cast("double"), 2);
  }
}
