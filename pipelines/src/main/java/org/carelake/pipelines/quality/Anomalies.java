package org.carelake.pipelines.quality;

import com.amazon.deequ.AnomalyCheckConfig;
import com.amazon.deequ.VerificationRunBuilder;
import com.amazon.deequ.VerificationRunBuilderWithRepository;
import com.amazon.deequ.analyzers.Analyzer;
import com.amazon.deequ.analyzers.Completeness;
import com.amazon.deequ.analyzers.Mean;
import com.amazon.deequ.analyzers.Size;
import com.amazon.deequ.anomalydetection.AbsoluteChangeStrategy;
import com.amazon.deequ.anomalydetection.AnomalyDetectionStrategy;
import com.amazon.deequ.anomalydetection.RelativeRateOfChangeStrategy;
import com.amazon.deequ.checks.CheckLevel;
import com.amazon.deequ.repository.ResultKey;
import com.amazon.deequ.repository.fs.FileSystemMetricsRepository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.apache.spark.sql.SparkSession;
import scala.Option;
import scala.Tuple2;

/**
 * Metric history and anomaly detection with Deequ: each table's run saves its metrics to a
 * {@link FileSystemMetricsRepository} in the lakehouse, keyed by time and the tags table, Delta
 * version and run id; each anomaly rule of the suite becomes an anomaly check that compares the
 * new metric with the table's previous one (history filtered by the table tag), reported like any
 * other check with its severity and action.
 */
final class Anomalies {

  private Anomalies() {}

  static VerificationRunBuilder withHistory(VerificationRunBuilder builder, SparkSession spark, Path repositoryFile, TableSuite suite,
      long version, String runId, Instant started) {
    try {
      Files.createDirectories(repositoryFile.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    scala.collection.immutable.Map<String, String> tags = tags("table", suite.table().qualifiedName(), "delta_version",
        Long.toString(version), "run_id", runId);
    FileSystemMetricsRepository repository = new FileSystemMetricsRepository(spark, repositoryFile.toString());
    // A first run has nothing to compare with: its metrics start the history.
    boolean hasHistory = Files.exists(repositoryFile)
        && !repository.load().withTagValues(tags("table", suite.table().qualifiedName())).get().isEmpty();
    VerificationRunBuilderWithRepository withRepo = builder.useRepository(repository)
        .saveOrAppendResult(new ResultKey(started.toEpochMilli(), tags));
    for (SuiteFile.AnomalySpec a : hasHistory ? suite.anomalies() : java.util.List.<SuiteFile.AnomalySpec>of()) {
      AnomalyCheckConfig config = new AnomalyCheckConfig(a.action() == SuiteFile.Action.FAIL ? CheckLevel.Error() : CheckLevel.Warning(),
          "[" + a.severity() + "] " + a.name(), tags("table", suite.table().qualifiedName()), Option.empty(), Option.empty());
      withRepo = add(withRepo, strategy(a), analyzer(a), config);
    }
    return withRepo;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static VerificationRunBuilderWithRepository add(VerificationRunBuilderWithRepository builder, AnomalyDetectionStrategy strategy,
      Analyzer analyzer, AnomalyCheckConfig config) {
    return builder.addAnomalyCheck(strategy, analyzer, Option.apply(config));
  }

  static Analyzer<?, ?> analyzer(SuiteFile.AnomalySpec a) {
    Option<String> where = Option.apply(a.where());
    return switch (a.metric()) {
      case "row_count" -> new Size(where);
      case "completeness" -> new Completeness(a.column(), where, Option.empty());
      case "mean" -> new Mean(a.column(), where);
      default -> throw new IllegalStateException(a.metric());
    };
  }

  /** Bounds as sizes of change: relative 0.5 down = may fall to half; absolute 10 up = may rise by 10. */
  private static AnomalyDetectionStrategy strategy(SuiteFile.AnomalySpec a) {
    if (a.strategy().equals("relative_rate_of_change")) {
      return new RelativeRateOfChangeStrategy(bound(a.maxDecrease() == null ? null : 1 - a.maxDecrease()),
          bound(a.maxIncrease() == null ? null : 1 + a.maxIncrease()), 1);
    }
    return new AbsoluteChangeStrategy(bound(a.maxDecrease() == null ? null : -a.maxDecrease()), bound(a.maxIncrease()), 1);
  }

  private static Option<Object> bound(Double v) {
    return v == null ? Option.empty() : Option.apply(v);
  }

  static scala.collection.immutable.Map<String, String> tags(String... keyValues) {
    scala.collection.immutable.Map<String, String> map = scala.collection.immutable.Map$.MODULE$.empty();
    for (int i = 0; i < keyValues.length; i += 2) {
      map = map.$plus(new Tuple2<>(keyValues[i], keyValues[i + 1]));
    }
    return map;
  }
}
