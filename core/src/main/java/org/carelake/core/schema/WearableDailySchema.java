package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.TableId;

/**
 * {@code gold.wearable_daily}: per patient and local calendar day, the day's activity, heart rate,
 * sleep and weight, with wear-time coverage. The contract between wearable ingestion (which writes
 * it) and the feature store (which reads it); {@code day_end} (the local day's end in UTC) is when
 * the day's values are known, the event time for point-in-time features.
 */
public final class WearableDailySchema {

  public static final TableId TABLE = TableId.gold("wearable_daily");

  public static final String PATIENT_KEY = "patient_key";
  public static final String DAY = "day";
  public static final String DAY_END = "day_end";
  public static final String STEPS = "steps";
  public static final String ACTIVE_MINUTES = "active_minutes";
  public static final String RESTING_HEART_RATE = "resting_heart_rate";
  public static final String MEAN_HEART_RATE = "mean_heart_rate";
  public static final String MAX_HEART_RATE = "max_heart_rate";
  public static final String SLEEP_MINUTES = "sleep_minutes";
  public static final String WEIGHT_KG = "weight_kg";
  /** Share of the day (0 to 1) with heart-rate data: days below a threshold are not used by features. */
  public static final String COVERAGE = "coverage";

  public static final StructType SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField(PATIENT_KEY, StringType, false),
      DataTypes.createStructField(DAY, DateType, false),
      DataTypes.createStructField(DAY_END, TimestampType, false),
      DataTypes.createStructField(STEPS, DoubleType, true),
      DataTypes.createStructField(ACTIVE_MINUTES, DoubleType, true),
      DataTypes.createStructField(RESTING_HEART_RATE, DoubleType, true),
      DataTypes.createStructField(MEAN_HEART_RATE, DoubleType, true),
      DataTypes.createStructField(MAX_HEART_RATE, DoubleType, true),
      DataTypes.createStructField(SLEEP_MINUTES, DoubleType, true),
      DataTypes.createStructField(WEIGHT_KG, DoubleType, true),
      DataTypes.createStructField(COVERAGE, DoubleType, false)});

  private WearableDailySchema() {}
}
