package org.carelake.pipelines.quality;

import static org.apache.spark.sql.functions.col;

import com.amazon.deequ.VerificationResult;
import com.amazon.deequ.VerificationRunBuilder;
import com.amazon.deequ.VerificationSuite;
import com.amazon.deequ.checks.Check;
import com.amazon.deequ.checks.CheckLevel;
import com.amazon.deequ.checks.CheckResult;
import com.amazon.deequ.constraints.ConstraintResult;
import com.amazon.deequ.constraints.ConstraintStatus;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.DeltaWriter;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.Progress;
import org.carelake.core.TableId;
import org.carelake.core.report.Reports;

/**
 * Runs table suites with Deequ's VerificationSuite, records every constraint result with the Delta
 * version it saw in {@code ops.quality_result}, and writes the HTML and JSON quality report. The
 * recorded (table, version, verdict) is what a model's lineage later points to as proof that the
 * data it saw had passed.
 */
public final class QualityRunner {

  public static final TableId RESULTS = TableId.ops("quality_result");

  static final StructType RESULT_SCHEMA = DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
      DataTypes.createStructField("run_id", DataTypes.StringType, false),
      DataTypes.createStructField("run_time", DataTypes.TimestampType, false),
      DataTypes.createStructField("table_name", DataTypes.StringType, false),
      DataTypes.createStructField("delta_version", DataTypes.LongType, false),
      DataTypes.createStructField("table_verdict", DataTypes.StringType, false),
      DataTypes.createStructField("check_name", DataTypes.StringType, false),
      DataTypes.createStructField("severity", DataTypes.StringType, false),
      DataTypes.createStructField("constraint_name", DataTypes.StringType, false),
      DataTypes.createStructField("passed", DataTypes.BooleanType, false),
      DataTypes.createStructField("message", DataTypes.StringType, true)});

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final Progress progress;
  private LakehouseTransaction step;

  public QualityRunner(SparkSession spark, Lakehouse lakehouse, Progress progress) {
    this.spark = spark;
    this.lakehouse = lakehouse;
    this.progress = progress;
  }

  /**
   * Runs as part of a pipeline step's transaction: rows the quarantine action moves are written in
   * it, so a step that fails later leaves them where they were. Verdicts and metrics are still
   * recorded on their own (a failed check stays on record after the step rolls back).
   */
  public QualityRunner within(LakehouseTransaction stepTransaction) {
    this.step = stepTransaction;
    return this;
  }

  public QualityResult run(List<TableSuite> suites) {
    String runId = UUID.randomUUID().toString();
    Instant started = Instant.now();
    List<QualityResult.TableVerdict> verdicts = new ArrayList<>();
    for (TableSuite suite : suites) {
      verdicts.add(verify(suite, runId, started));
    }
    List<Row> rows = new ArrayList<>();
    for (QualityResult.TableVerdict v : verdicts) {
      for (QualityResult.ConstraintOutcome c : v.constraints()) {
        rows.add(RowFactory.create(runId, Timestamp.from(started), v.table(), v.deltaVersion(), v.verdict(), c.check(),
            c.severity().name(), c.constraint(), c.passed(), c.message()));
      }
    }
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      new DeltaWriter(spark, lakehouse, tx).append(spark.createDataFrame(rows, RESULT_SCHEMA), RESULTS);
      tx.commit();
    }
    Reports.Written written = QualityReport.write(lakehouse, QualityReport.collect(spark, lakehouse, metricsRepository(), watched(suites)));
    return new QualityResult(runId, verdicts, written.html().toString(), written.json().toString());
  }

  /** The anomaly rules of the built-in suites, replaced per table by those of the suites this run used. */
  private static Map<String, List<SuiteFile.AnomalySpec>> watched(List<TableSuite> suites) {
    Map<String, List<SuiteFile.AnomalySpec>> watched = new HashMap<>();
    DeclarativeSuites.load(null).forEach(s -> watched.put(s.table().qualifiedName(), s.anomalies()));
    suites.forEach(s -> watched.put(s.table().qualifiedName(), s.anomalies()));
    return watched;
  }

  /** Rewrites the quality report from the recorded verdicts, metric history and latest data bias (no checks run). */
  public Reports.Written report(List<SuiteFile> suites) {
    Map<String, List<SuiteFile.AnomalySpec>> watched = new HashMap<>();
    suites.forEach(s -> watched.put(s.table().qualifiedName(), s.anomalies()));
    return QualityReport.write(lakehouse, QualityReport.collect(spark, lakehouse, metricsRepository(), watched));
  }

  /** One table's checks without recording anything (benchmarks, tests). */
  public QualityResult.TableVerdict verify(TableSuite suite) {
    return verify(suite, null, null);
  }

  /**
   * Deequ's metrics repository in the lakehouse (a JSON file Deequ owns): every run's metrics keyed by
   * table, Delta version, run id and time; the history anomaly checks compare against.
   */
  public Path metricsRepository() {
    return lakehouse.root().resolve("_metrics").resolve("quality-metrics.json");
  }

  /** One table's checks in one pass; with a run id, its metrics are saved and its anomaly rules judged against earlier runs. */
  QualityResult.TableVerdict verify(TableSuite suite, String runId, Instant started) {
    long version = lakehouse.version(spark, suite.table()).orElseThrow();
    long quarantined = 0;
    if (runId != null && !suite.quarantine().isEmpty()) {
      quarantined = QualityQuarantine.move(spark, lakehouse, suite, version, runId, step);
      if (quarantined > 0) {
        progress.detail(suite.table() + " v" + version + ": " + quarantined + " rows moved to " + QualityQuarantine.TABLE);
        version = lakehouse.version(spark, suite.table()).orElseThrow();
      }
    }
    // Read the exact version the verdict is recorded for, even if a writer commits meanwhile.
    Dataset<Row> data = suite.prepare().apply(lakehouse.readAt(spark, suite.table(), version));
    spark.sparkContext().setJobGroup("quality-" + suite.table(), "Deequ checks of " + suite.table() + " v" + version, false);
    try {
      // The row count rides on the same scan as every other scan-shareable metric.
      VerificationRunBuilder builder = new VerificationSuite().onData(data)
          .addRequiredAnalyzer(sizeAnalyzer());
      for (Check check : suite.checks()) {
        builder = builder.addCheck(check);
      }
      if (runId != null) {
        builder = Anomalies.withHistory(builder, spark, metricsRepository(), suite, version, runId, started);
      }
      VerificationResult result = builder.run();
      // Read Deequ's results as objects: turning them into DataFrames first would cost Spark jobs per table.
      List<QualityResult.ConstraintOutcome> constraints = outcomes(suite, result);
      scala.Option<com.amazon.deequ.metrics.Metric<?>> size = sizeMetric(result);
      long rows = size.isDefined() && size.get().value().isSuccess() ? ((Number) size.get().value().get()).longValue() : data.count();
      QualityResult.TableVerdict verdict = new QualityResult.TableVerdict(suite.table().qualifiedName(), version, rows, quarantined,
          constraints);
      progress.detail(suite.table() + " v" + version + ": " + verdict.verdict() + " (" + constraints.size() + " constraints)");
      return verdict;
    } finally {
      spark.sparkContext().clearJobGroup();
    }
  }

  /** Every constraint's outcome: the suite's checks in their declared order, then its anomaly checks. */
  private static List<QualityResult.ConstraintOutcome> outcomes(TableSuite suite, VerificationResult result) {
    Map<Check, CheckResult> byCheck = scala.collection.JavaConverters.mapAsJavaMap(result.checkResults());
    List<Check> order = new ArrayList<>(suite.checks());
    byCheck.keySet().stream().filter(c -> !order.contains(c)).sorted(java.util.Comparator.comparing(Check::description)).forEach(order::add);
    List<QualityResult.ConstraintOutcome> out = new ArrayList<>();
    for (Check check : order) {
      CheckResult checkResult = byCheck.get(check);
      if (checkResult == null) {
        continue;
      }
      Severity severity = check.level() == CheckLevel.Error() ? Severity.ERROR : Severity.WARNING;
      for (ConstraintResult c : scala.collection.JavaConverters.seqAsJavaList(checkResult.constraintResults())) {
        String message = c.message().isDefined() && !c.message().get().isEmpty() ? c.message().get() : null;
        out.add(new QualityResult.ConstraintOutcome(check.description(), severity, c.constraint().toString(),
            c.status() == ConstraintStatus.Success(), message));
      }
    }
    return out;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static scala.Option<com.amazon.deequ.metrics.Metric<?>> sizeMetric(VerificationResult result) {
    return (scala.Option) ((scala.collection.Map) result.metrics()).get(sizeAnalyzer());
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static com.amazon.deequ.analyzers.Analyzer<?, com.amazon.deequ.metrics.Metric<?>> sizeAnalyzer() {
    return (com.amazon.deequ.analyzers.Analyzer) new com.amazon.deequ.analyzers.Size(scala.Option.empty());
  }
}
