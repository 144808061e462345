package org.carelake.pipelines.quality;

import static org.carelake.core.report.Html.escape;

import com.amazon.deequ.analyzers.Analyzer;
import com.amazon.deequ.analyzers.Size;
import com.amazon.deequ.metrics.Metric;
import com.amazon.deequ.repository.AnalysisResult;
import com.amazon.deequ.repository.fs.FileSystemMetricsRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.Lakehouse;
import org.carelake.core.Layer;
import org.carelake.core.Suppression;
import org.carelake.core.TableId;
import org.carelake.core.report.Html;
import org.carelake.core.report.Reports;
import scala.collection.JavaConverters;

/**
 * The quality report people read, built from what the lakehouse has recorded rather than from one
 * run: the latest verdict of every checked table first (readable by a data engineer in a minute),
 * then the constraints that failed, each table's metric history over runs (row count and the metrics
 * its anomaly rules watch, from Deequ's metrics repository) and the latest data bias
 * (representation against the reference, coverage by group). The JSON has the same content.
 */
public final class QualityReport {

  /** How many runs of a table the history shows. */
  static final int HISTORY = 20;

  /** One table: its latest check, verdicts of earlier checks and its watched metrics over runs. */
  public record TableStatus(String table, long checkedVersion, Long currentVersion, String currentVerdict, Long rows, String verdict,
      Instant checkedAt, String runId, List<QualityResult.ConstraintOutcome> constraints, List<RunVerdict> history,
      List<MetricSeries> metrics) {
    /** The current version has no verdict (changed since its last check): downstream steps refuse it until it is checked. */
    public boolean stale() {
      return currentVersion != null && currentVerdict == null;
    }
  }

  public record RunVerdict(Instant time, long deltaVersion, String verdict, String runId) {}

  public record MetricSeries(String metric, List<MetricPoint> points) {}

  public record MetricPoint(Instant time, long deltaVersion, String runId, Double value) {}

  /** The whole report (also its JSON). */
  public record Content(Instant generated, String overall, List<TableStatus> tables, DataBias.Report dataBias, Instant dataBiasWritten) {
    /** Every table's current version has a verdict and none is FAIL. */
    public boolean passed() {
      return overall.equals("PASS");
    }
  }

  private QualityReport() {}

  /**
   * Collects the report's content.
   *
   * @param watched per table, the anomaly rules whose metrics are charted beside the row count
   */
  public static Content collect(SparkSession spark, Lakehouse lakehouse, Path metricsRepository,
      Map<String, List<SuiteFile.AnomalySpec>> watched) {
    List<TableStatus> tables = new ArrayList<>();
    if (lakehouse.exists(QualityRunner.RESULTS)) {
      // ops.quality_result holds one row per constraint per run: small enough to read whole.
      Map<String, Map<String, List<Row>>> byTableAndRun = new TreeMap<>();
      for (Row r : lakehouse.read(spark, QualityRunner.RESULTS).collectAsList()) {
        byTableAndRun.computeIfAbsent(r.getAs("table_name"), t -> new LinkedHashMap<>())
            .computeIfAbsent(r.getAs("run_id"), x -> new ArrayList<>()).add(r);
      }
      for (Map.Entry<String, Map<String, List<Row>>> e : byTableAndRun.entrySet()) {
        tables.add(status(spark, lakehouse, e.getKey(), e.getValue(), metricsRepository, watched.getOrDefault(e.getKey(), List.of())));
      }
    }
    // What downstream steps go by: the verdict of each table's current version (a failed step's rollback restores a checked one).
    String overall = tables.stream().anyMatch(t -> "FAIL".equals(t.currentVerdict())) ? "FAIL"
        : tables.stream().anyMatch(TableStatus::stale) ? "NOT CHECKED" : "PASS";
    Path biasJson = DataBias.jsonFile(lakehouse);
    DataBias.Report bias = null;
    Instant biasWritten = null;
    if (Files.exists(biasJson)) {
      try {
        bias = Reports.JSON.readerFor(DataBias.Report.class)
            .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(biasJson.toFile());
        biasWritten = Files.getLastModifiedTime(biasJson).toInstant();
      } catch (IOException e) {
        // An unreadable or older-format bias report is left out and said so; the quality verdicts do not depend on it.
        bias = null;
      }
    }
    return new Content(Instant.now(), overall, tables, bias, biasWritten);
  }

  private static TableStatus status(SparkSession spark, Lakehouse lakehouse, String table, Map<String, List<Row>> runs, Path repository,
      List<SuiteFile.AnomalySpec> watched) {
    List<List<Row>> ordered = runs.values().stream()
        .sorted(Comparator.comparing((List<Row> rows) -> ((Timestamp) rows.get(0).getAs("run_time")).toInstant())).toList();
    List<Row> latest = ordered.get(ordered.size() - 1);
    Row first = latest.get(0);
    List<QualityResult.ConstraintOutcome> constraints = latest.stream()
        .map(r -> new QualityResult.ConstraintOutcome(r.getAs("check_name"), Severity.valueOf(r.getAs("severity")), r.getAs("constraint_name"),
            r.<Boolean>getAs("passed"), r.getAs("message")))
        .toList();
    List<RunVerdict> history = ordered.subList(Math.max(0, ordered.size() - HISTORY), ordered.size()).stream()
        .map(rows -> new RunVerdict(((Timestamp) rows.get(0).getAs("run_time")).toInstant(), rows.get(0).<Long>getAs("delta_version"),
            rows.get(0).getAs("table_verdict"), rows.get(0).getAs("run_id")))
        .toList();
    TableId id = tableId(table);
    Long current = id == null ? null : lakehouse.version(spark, id).orElse(null);
    String currentVerdict = current == null ? null : new QualityLedger(spark, lakehouse).verdict(id, current);
    List<MetricSeries> metrics = metricHistory(spark, repository, table, watched);
    String runId = first.getAs("run_id");
    Long rows = metrics.isEmpty() ? null : metrics.get(0).points().stream().filter(p -> runId.equals(p.runId()) && p.value() != null)
        .map(p -> p.value().longValue()).findFirst().orElse(null);
    return new TableStatus(table, first.<Long>getAs("delta_version"), current, currentVerdict, rows, first.getAs("table_verdict"),
        ((Timestamp) first.getAs("run_time")).toInstant(), runId, constraints, history, metrics);
  }

  private static TableId tableId(String qualified) {
    String[] parts = qualified.split("\\.", 2);
    try {
      return new TableId(Layer.valueOf(parts[0].toUpperCase(Locale.ROOT)), parts[1]);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Row count first, then each watched metric, over the table's last runs in Deequ's repository. */
  static List<MetricSeries> metricHistory(SparkSession spark, Path repository, String table, List<SuiteFile.AnomalySpec> watched) {
    if (!Files.exists(repository)) {
      return List.of();
    }
    List<AnalysisResult> results = new ArrayList<>(JavaConverters.seqAsJavaList(new FileSystemMetricsRepository(spark, repository.toString())
        .load().withTagValues(Anomalies.tags("table", table)).get()));
    results.sort(Comparator.comparingLong(r -> r.resultKey().dataSetDate()));
    results = results.subList(Math.max(0, results.size() - HISTORY), results.size());
    Map<String, Analyzer<?, ?>> series = new LinkedHashMap<>();
    series.put("row count", new Size(scala.Option.empty()));
    for (SuiteFile.AnomalySpec a : watched) {
      series.putIfAbsent(a.metric().replace('_', ' ') + (a.column() == null ? "" : " of " + a.column())
          + (a.where() == null ? "" : " where " + a.where()), Anomalies.analyzer(a));
    }
    List<MetricSeries> out = new ArrayList<>();
    for (Map.Entry<String, Analyzer<?, ?>> s : series.entrySet()) {
      List<MetricPoint> points = new ArrayList<>();
      for (AnalysisResult r : results) {
        Map<String, String> tags = JavaConverters.mapAsJavaMap(r.resultKey().tags());
        scala.Option<Metric<?>> metric = metric(r, s.getValue());
        Double value = metric.isDefined() && metric.get().value().isSuccess() && metric.get().value().get() instanceof Number n
            ? n.doubleValue() : null;
        points.add(new MetricPoint(Instant.ofEpochMilli(r.resultKey().dataSetDate()), Long.parseLong(tags.getOrDefault("delta_version", "-1")),
            tags.get("run_id"), value));
      }
      out.add(new MetricSeries(s.getKey(), points));
    }
    return out;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static scala.Option<Metric<?>> metric(AnalysisResult result, Analyzer<?, ?> analyzer) {
    return (scala.Option) ((scala.collection.immutable.Map) result.analyzerContext().metricMap()).get(analyzer);
  }

  public static Reports.Written write(Lakehouse lakehouse, Content content) {
    return Reports.write(lakehouse.reportsDir().resolve("quality"), "quality-report", html(content), content);
  }

  static String html(Content c) {
    StringBuilder body = new StringBuilder();
    long failed = c.tables().stream().filter(t -> "FAIL".equals(t.currentVerdict())).count();
    long stale = c.tables().stream().filter(TableStatus::stale).count();
    body.append("<p>Generated ").append(c.generated()).append(". Overall: ")
        .append("<span class=\"").append(css(c.overall())).append("\">").append(c.overall()).append("</span> &mdash; ")
        .append(c.tables().size()).append(" tables checked, ").append(failed).append(" failing at their current version");
    if (stale > 0) {
      body.append(", <span class=\"warn\">").append(stale).append(" changed since their last check</span>");
    }
    body.append(". Downstream steps (gold, cohorts, features, training) only use a table version whose verdict is PASS or WARN.</p>");
    if (c.tables().isEmpty()) {
      body.append("<p class=\"muted\">No table has been checked yet: run <code>./carelake quality run</code>.</p>");
    }
    body.append("<h2>Verdicts</h2><table><tr><th>table</th><th>latest check</th><th>version checked</th><th>current version</th><th>rows</th>"
        + "<th>constraints passed</th><th>checked at</th></tr>");
    List<Html.Bar> bars = new ArrayList<>();
    for (TableStatus t : c.tables()) {
      long passed = t.constraints().stream().filter(QualityResult.ConstraintOutcome::passed).count();
      body.append("<tr><td>").append(escape(t.table())).append("</td><td class=\"").append(css(t.verdict())).append("\">").append(t.verdict())
          .append("</td><td class=\"num\">").append(t.checkedVersion()).append("</td><td class=\"num").append(t.stale() ? " warn" : "")
          .append("\">").append(t.currentVersion() == null ? "gone" : t.currentVersion() + (t.stale() ? " (not checked)"
              : t.currentVersion() == t.checkedVersion() ? "" : " (" + t.currentVerdict() + ": restored to a checked version)"))
          .append("</td><td class=\"num\">").append(t.rows() == null ? "" : t.rows()).append("</td><td class=\"num\">").append(passed)
          .append(" / ").append(t.constraints().size()).append("</td><td>").append(t.checkedAt()).append("</td></tr>");
      double share = t.constraints().isEmpty() ? 1 : (double) passed / t.constraints().size();
      bars.add(new Html.Bar(t.table(), share, Html.percent(share)));
    }
    body.append("</table>");
    if (!bars.isEmpty()) {
      body.append(Html.barChart("Share of constraints passed per table (latest check)", bars, 1.0, null, null));
    }
    body.append("<h2>Failed constraints</h2>");
    List<String[]> failures = new ArrayList<>();
    for (TableStatus t : c.tables()) {
      t.constraints().stream().filter(x -> !x.passed()).sorted(Comparator.comparing(QualityResult.ConstraintOutcome::severity))
          .forEach(x -> failures.add(new String[] {t.table(), x.severity() == Severity.ERROR ? "fail" : "warn", x.check(), x.constraint(),
              x.message()}));
    }
    if (failures.isEmpty()) {
      body.append("<p>None: every constraint of every table's latest check passed.</p>");
    } else {
      body.append("<table><tr><th>table</th><th>action</th><th>check</th><th>constraint</th><th>message</th></tr>");
      for (String[] f : failures) {
        body.append("<tr><td>").append(escape(f[0])).append("</td><td class=\"").append(f[1]).append("\">").append(f[1]).append("</td><td>")
            .append(escape(f[2])).append("</td><td>").append(escape(f[3])).append("</td><td>").append(escape(f[4])).append("</td></tr>");
      }
      body.append("</table>");
    }
    body.append("<h2>Metric history</h2><p>The last runs of each table (x axis: the Delta version checked), from Deequ's metrics "
        + "repository; the metrics beside the row count are those the table's anomaly rules watch.</p>");
    for (TableStatus t : c.tables()) {
      body.append("<h3>").append(escape(t.table())).append("</h3>");
      body.append("<p>Verdicts: ");
      t.history().forEach(h -> body.append("<span class=\"").append(css(h.verdict())).append("\" title=\"").append(h.time()).append("\">v")
          .append(h.deltaVersion()).append(' ').append(h.verdict()).append("</span> "));
      body.append("</p>");
      for (MetricSeries s : t.metrics()) {
        boolean share = s.metric().startsWith("completeness");
        List<Html.Point> points = s.points().stream().map(p -> new Html.Point("v" + p.deltaVersion(), p.value())).toList();
        body.append(Html.lineChart(s.metric(), points, share ? Html::percent
            : s.metric().equals("row count") ? v -> String.format(Locale.ROOT, "%,.0f", v) : v -> Html.number(v, 2)));
      }
    }
    body.append("<h2>Data bias</h2>");
    if (c.dataBias() == null) {
      body.append("<p class=\"muted\">No data bias report yet: <code>./carelake quality report</code> or <code>./carelake quality bias</code> "
          + "computes it.</p>");
    } else {
      body.append("<p>From the data bias report of ").append(c.dataBiasWritten()).append(" (")
          .append(Suppression.display(c.dataBias().patients())).append(" patients, ages as of ").append(c.dataBias().asOf())
          .append("; full report with intersections: <code>reports/bias/data-bias.html</code>).</p>");
      body.append(DataBias.charts(c.dataBias(), false));
    }
    return Html.page("CareLake data quality report", body.toString());
  }

  private static String css(String verdict) {
    return switch (verdict) {
      case "PASS" -> "pass";
      case "WARN", "NOT CHECKED" -> "warn";
      default -> "fail";
    };
  }
}
