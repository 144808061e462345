package org.carelake.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;

import com.amazon.deequ.profiles.ColumnProfile;
import com.amazon.deequ.profiles.ColumnProfilerRunner;
import com.amazon.deequ.profiles.NumericColumnProfile;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.CareLakeException;
import org.carelake.core.DeltaWriter;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.TableId;
import org.carelake.core.TableWrite;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.schema.PatientSchema;
import org.carelake.core.spark.Seqs;

/**
 * {@code features build}: materializes a feature set for every patient alive at an as-of time into
 * {@code gold.feature_<set>}, profiles each feature with Deequ's column profiler, appends the
 * profile to {@code ops.feature_build_stats} and compares it with the previous build (drift).
 */
public final class FeatureBuild {

  public static final TableId STATS = TableId.ops("feature_build_stats");

  /** Drift flags: completeness moved by more than this share, or the mean by more than this many SDs. */
  public static final double COMPLETENESS_DRIFT = 0.05;
  public static final double MEAN_DRIFT_SD = 0.25;

  static final StructType STATS_SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField("build_id", DataTypes.StringType, false),
      DataTypes.createStructField("feature_set", DataTypes.StringType, false),
      DataTypes.createStructField("built_at", DataTypes.TimestampType, false),
      DataTypes.createStructField("as_of", DataTypes.TimestampType, false),
      DataTypes.createStructField("table_version", DataTypes.LongType, false),
      DataTypes.createStructField("rows", DataTypes.LongType, false),
      DataTypes.createStructField("feature", DataTypes.StringType, false),
      DataTypes.createStructField("completeness", DataTypes.DoubleType, false),
      DataTypes.createStructField("mean", DataTypes.DoubleType, true),
      DataTypes.createStructField("stddev", DataTypes.DoubleType, true),
      DataTypes.createStructField("minimum", DataTypes.DoubleType, true),
      DataTypes.createStructField("maximum", DataTypes.DoubleType, true),
      DataTypes.createStructField("approx_distinct", DataTypes.LongType, false)});

  /** One feature's profile in one build. */
  public record FeatureStats(String feature, double completeness, Double mean, Double stddev, Double minimum, Double maximum,
      long approxDistinct) {}

  /** One feature's change since the previous build. */
  public record Drift(String feature, double completenessBefore, double completenessNow, Double meanBefore, Double meanNow,
      Double meanShiftSd, boolean drifted) {}

  /** What a build did. */
  public record Result(String buildId, TableWrite write, Instant asOf, long rows, List<FeatureStats> stats, String previousBuildId,
      List<Drift> drift) {

    public long drifted() {
      return drift.stream().filter(Drift::drifted).count();
    }
  }

  private final SparkSession spark;
  private final Lakehouse lakehouse;

  public FeatureBuild(SparkSession spark, Lakehouse lakehouse) {
    this.spark = spark;
    this.lakehouse = lakehouse;
  }

  public static TableId table(FeatureSet set) {
    return TableId.gold("feature_" + set.name());
  }

  /**
   * @param asOf the as-of time, or null for the latest encounter in the data (its "now")
   */
  public Result build(FeatureSet set, Instant asOf) {
    for (TableId input : List.of(PatientSchema.TABLE, EncounterSchema.TABLE)) {
      if (!lakehouse.exists(input)) {
        throw CareLakeException.badInput("Feature build needs " + input + ", which does not exist in " + lakehouse.root() + ".",
            "ingest EHR data first: ./carelake ingest fhir --input PATH");
      }
    }
    Function<TableId, Dataset<Row>> read = t -> lakehouse.read(spark, t);
    Instant at = asOf != null ? asOf : latestEncounter(read.apply(EncounterSchema.TABLE));
    Timestamp atTs = Timestamp.from(at);
    Dataset<Row> entities = read.apply(PatientSchema.TABLE)
        .filter(col(PatientSchema.BIRTH_DATE).leq(lit(atTs).cast("date")))
        .filter(col(PatientSchema.DECEASED_TIME).isNull().or(col(PatientSchema.DECEASED_TIME).gt(lit(atTs))))
        .select(col(PatientSchema.PATIENT_KEY).as(PointInTimeJoin.PATIENT_KEY), lit(atTs).as(PointInTimeJoin.AS_OF));
    Dataset<Row> features;
    try (FeatureStore store = new FeatureStore(read)) {
      features = store.features(entities, set).orderBy(PointInTimeJoin.PATIENT_KEY).cache();
      features.count();
    }
    try {
      TableWrite write;
      try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
        write = new DeltaWriter(spark, lakehouse, tx).replace(features, table(set));
        tx.commit();
      }
      List<String> columns = new ArrayList<>(List.of(FeatureStore.AGE_AT_AS_OF, FeatureStore.SEX_FEMALE));
      columns.addAll(set.names());
      long rows = features.count();
      List<FeatureStats> stats = profile(features, columns);
      PreviousBuild previous = previous(set);
      List<Drift> drift = previous == null ? List.of() : drift(previous.stats, stats);
      String buildId = UUID.randomUUID().toString();
      appendStats(buildId, set, at, write.versionAfter(), rows, stats);
      return new Result(buildId, write, at, rows, stats, previous == null ? null : previous.buildId, drift);
    } finally {
      features.unpersist();
    }
  }

  private static Instant latestEncounter(Dataset<Row> encounters) {
    Row row = encounters.agg(max(EncounterSchema.START_TIME)).head();
    if (row.isNullAt(0)) {
      throw CareLakeException.badInput("silver.encounter has no encounters to take the default as-of time from.",
          "pass --as-of DATE.");
    }
    return row.getTimestamp(0).toInstant();
  }

  /** Deequ's column profiler over the feature columns (completeness, distinct values, numeric statistics). */
  static List<FeatureStats> profile(Dataset<Row> features, List<String> columns) {
    Map<String, ColumnProfile> profiles = scala.collection.JavaConverters.mapAsJavaMap(
        new ColumnProfilerRunner().onData(features).restrictToColumns(Seqs.of(columns.toArray(new String[0]))).run().profiles());
    List<FeatureStats> stats = new ArrayList<>();
    for (String column : columns) {
      ColumnProfile p = profiles.get(column);
      Double mean = null;
      Double stddev = null;
      Double minimum = null;
      Double maximum = null;
      if (p instanceof NumericColumnProfile n) {
        mean = value(n.mean());
        stddev = value(n.stdDev());
        minimum = value(n.minimum());
        maximum = value(n.maximum());
      }
      stats.add(new FeatureStats(column, p.completeness(), mean, stddev, minimum, maximum, p.approximateNumDistinctValues()));
    }
    return stats;
  }

  private static Double value(scala.Option<Object> option) {
    return option.isDefined() ? ((Number) option.get()).doubleValue() : null;
  }

  static List<Drift> drift(Map<String, FeatureStats> before, List<FeatureStats> now) {
    List<Drift> drift = new ArrayList<>();
    for (FeatureStats s : now) {
      FeatureStats b = before.get(s.feature());
      if (b == null) {
        continue;
      }
      Double shift = null;
      if (b.mean() != null && s.mean() != null) {
        double sd = b.stddev() == null || b.stddev() == 0 ? 0 : b.stddev();
        shift = sd == 0 ? (s.mean().equals(b.mean()) ? 0.0 : Double.POSITIVE_INFINITY) : Math.abs(s.mean() - b.mean()) / sd;
      }
      boolean drifted = Math.abs(s.completeness() - b.completeness()) > COMPLETENESS_DRIFT || (shift != null && shift > MEAN_DRIFT_SD);
      drift.add(new Drift(s.feature(), b.completeness(), s.completeness(), b.mean(), s.mean(), shift, drifted));
    }
    return drift;
  }

  private record PreviousBuild(String buildId, Map<String, FeatureStats> stats) {}

  private PreviousBuild previous(FeatureSet set) {
    if (!lakehouse.exists(STATS)) {
      return null;
    }
    Dataset<Row> history = lakehouse.read(spark, STATS).filter(col("feature_set").equalTo(set.name()));
    List<Row> latest = history.orderBy(col("built_at").desc()).select("build_id").takeAsList(1);
    if (latest.isEmpty()) {
      return null;
    }
    Row last = latest.get(0);
    Map<String, FeatureStats> stats = new LinkedHashMap<>();
    for (Row r : history.filter(col("build_id").equalTo(last.getString(0))).collectAsList()) {
      stats.put(r.getAs("feature"), new FeatureStats(r.getAs("feature"), r.getAs("completeness"), r.getAs("mean"), r.getAs("stddev"),
          r.getAs("minimum"), r.getAs("maximum"), r.getAs("approx_distinct")));
    }
    return new PreviousBuild(last.getString(0), stats);
  }

  private void appendStats(String buildId, FeatureSet set, Instant asOf, long version, long rows, List<FeatureStats> stats) {
    Timestamp now = Timestamp.from(Instant.now());
    List<Row> out = new ArrayList<>();
    for (FeatureStats s : stats) {
      out.add(RowFactory.create(buildId, set.name(), now, Timestamp.from(asOf), version, rows, s.feature(), s.completeness(), s.mean(),
          s.stddev(), s.minimum(), s.maximum(), s.approxDistinct()));
    }
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      new DeltaWriter(spark, lakehouse, tx).append(spark.createDataFrame(out, STATS_SCHEMA), STATS);
      tx.commit();
    }
  }
}
