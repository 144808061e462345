package org.carelake.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.carelake.core.CareLakeException;
import org.carelake.core.Progress;
import org.carelake.pipelines.quality.QualityResult;
import org.carelake.pipelines.quality.QualityRunner;
import org.carelake.pipelines.quality.DeclarativeSuites;
import org.carelake.pipelines.quality.SuiteFile;
import org.carelake.pipelines.quality.TableSuite;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code quality run}: Deequ checks of the silver tables, with a gate. */
@Command(name = "quality", mixinStandardHelpOptions = true, description = "Data quality checks (Deequ) and reports.",
    subcommands = {QualityCommand.Run.class, QualityCommand.Report.class, QualityCommand.Bias.class})
public final class QualityCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = {"Run the check suites (one YAML file per table: built-in ones, plus --suites DIR) with Deequ, one pass per",
          "table; record verdicts per Delta version; write the report. Exits 1 when a check with action 'fail' fails:",
          "downstream steps refuse unchecked or failed versions. Suite files are validated before any Spark job."})
  static final class Run implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec CommandSpec spec;

    @Option(names = "--table", paramLabel = "TABLE", description = "Only this table, e.g. silver.observation.")
    String table;

    @Option(names = "--suites", paramLabel = "DIR", description = "Suite files (*.yaml) that replace or add to the built-in ones, per table.")
    java.nio.file.Path suites;

    @Override
    public Integer call() {
      CliContext context = new CliContext(global);
      QualityResult result = run(context, table, suites, new Progress(context.progressStream(), 0));
      print(result, spec.commandLine().getOut());
      if (!result.passed()) {
        throw CareLakeException.gateFailed("Quality gate failed: " + result.failedErrors() + " error-level constraints failed.",
            "see " + result.htmlReport() + ", fix the data or its source, and re-ingest.");
      }
      return 0;
    }
  }

  @Command(name = "report", mixinStandardHelpOptions = true,
      description = {"Write reports/quality/quality-report.html and .json from what the lakehouse recorded: the latest verdict of",
          "every checked table first (and whether it changed since), failed constraints, each table's metric history over runs",
          "(row count and the metrics its anomaly rules watch) and data bias (representation against the reference, coverage",
          "by group), which it computes afresh unless --no-bias. Runs no checks; self-contained HTML, no network needed."},
      footer = {"", "Example:", "  ./carelake quality report --label gold.cohort_incident_hypertension_5y.outcome_label"})
  static final class Report implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec CommandSpec spec;

    @Option(names = "--suites", paramLabel = "DIR", description = "Suite files whose anomaly rules choose the metrics charted (as for run).")
    java.nio.file.Path suites;

    @Option(names = "--no-bias", description = "Use the latest saved data bias report instead of computing it.")
    boolean noBias;

    @Mixin BiasOptions bias;

    @Override
    public Integer call() {
      List<SuiteFile> files = DeclarativeSuites.load(suites);
      var cfg = noBias ? null : bias.config();
      CliContext context = new CliContext(global);
      var out = spec.commandLine().getOut();
      if (cfg != null && context.lakehouse().exists(org.carelake.core.schema.PatientSchema.TABLE)) {
        out.printf("Data bias: %s%n", bias.write(context, cfg).written().html());
      }
      var written = new QualityRunner(context.spark(), context.lakehouse(), Progress.silent()).report(files);
      out.printf("Quality report: %s%n  json: %s%n", written.html(), written.json());
      out.flush();
      return 0;
    }
  }

  @Command(name = "bias", mixinStandardHelpOptions = true,
      description = {"Data bias on the full tables: representation of each sex, race, ethnicity, age band and payer type (and",
          "pairwise intersections) against reference shares, coverage of key fields per group against the best-covered",
          "group, and outcome prevalence per group for --label. Writes reports/bias/data-bias.html and .json; counts under",
          "11 suppressed, small groups marked insufficient data."},
      footer = {"", "Example:", "  ./carelake quality bias --label gold.cohort_incident_hypertension_5y.outcome_label"})
  static final class Bias implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec CommandSpec spec;

    @Mixin BiasOptions bias;

    @Override
    public Integer call() {
      var cfg = bias.config();
      CliContext context = new CliContext(global);
      BiasOptions.Computed computed = bias.write(context, cfg);
      var report = computed.report();
      var written = computed.written();
      var out = spec.commandLine().getOut();
      out.printf("Data bias: %s patients, %d groups, %d intersections, %d findings%n", org.carelake.core.Suppression.display(report.patients()),
          report.groups().size(), report.intersections().size(), report.flags().size());
      report.flags().forEach(f -> out.printf("  %s%n", f));
      out.printf("  report: %s%n  json:   %s%n", written.html(), written.json());
      out.flush();
      return 0;
    }
  }

  /** What data bias is computed against: reference shares and indicators, an outcome label, the date ages are taken at. */
  static final class BiasOptions {
    @Option(names = {"--bias-config", "--config"}, paramLabel = "FILE",
        description = "Reference shares, thresholds and coverage indicators (default: built in).")
    java.nio.file.Path config;

    @Option(names = "--label", paramLabel = "TABLE.COLUMN", description = "A 0/1 outcome keyed by patient_key, e.g. a cohort's outcome.")
    String label;

    @Option(names = "--as-of", paramLabel = "DATE", description = "Date ages are computed at (default: today).")
    java.time.LocalDate asOf;

    record Computed(org.carelake.pipelines.quality.DataBias.Report report, org.carelake.core.report.Reports.Written written) {}

    /** Read and validated before any Spark job. */
    org.carelake.pipelines.quality.DataBias.Config config() {
      return org.carelake.pipelines.quality.DataBias.config(config);
    }

    Computed write(CliContext context, org.carelake.pipelines.quality.DataBias.Config cfg) {
      var bias = new org.carelake.pipelines.quality.DataBias(context.spark(), context.lakehouse());
      var report = bias.compute(cfg, asOf == null ? java.time.LocalDate.now() : asOf, label);
      return new Computed(report, bias.write(report, cfg));
    }
  }

  /** Loads and validates every suite (built in, plus {@code suitesDir}) before any Spark job, then runs them. */
  static QualityResult run(CliContext context, String table, java.nio.file.Path suitesDir, Progress progress) {
    List<SuiteFile> files = DeclarativeSuites.load(suitesDir);
    if (table != null) {
      files = files.stream().filter(s -> s.table().qualifiedName().equals(table)).toList();
      if (files.isEmpty()) {
        throw CareLakeException.badInput("No check suite for table " + table + ".", "use one of " + DeclarativeSuites.load(suitesDir).stream()
            .map(s -> s.table().qualifiedName()).toList() + ", or add a suite file with --suites DIR.");
      }
    }
    List<TableSuite> suites = DeclarativeSuites.build(context.spark(), context.lakehouse(), files);
    if (suites.isEmpty()) {
      // A gate that checked nothing must not pass: a wrong --lakehouse would otherwise look like clean data.
      throw CareLakeException.badInput((table != null ? "Table " + table + " does not exist" : "No table with a check suite exists")
              + " in lakehouse " + context.lakehouse().root() + ", so nothing was checked.",
          "ingest data first (e.g. ./carelake ingest fhir --input PATH), or point --lakehouse at the right folder.");
    }
    return new QualityRunner(context.spark(), context.lakehouse(), progress).run(suites);
  }

  /** Runs a pipeline step; if its checks stop it, prints what they found before the error. */
  static <T> T printingChecks(org.carelake.pipelines.quality.StepChecks checks, java.io.PrintWriter out, java.util.function.Supplier<T> step) {
    try {
      return step.get();
    } catch (RuntimeException e) {
      printChecks(checks, out);
      throw e;
    }
  }

  /** What a step's checks found, after its own summary. */
  static void printChecks(org.carelake.pipelines.quality.StepChecks checks, java.io.PrintWriter out) {
    checks.results().forEach(r -> print(r, out));
  }

  static void print(QualityResult result, java.io.PrintWriter out) {
    out.printf("Quality run %s: %s%n", result.runId(), result.passed() ? "PASS" : "FAIL");
    for (QualityResult.TableVerdict t : result.tables()) {
      out.printf("  %-28s v%-4d %-4s %d rows%s%n", t.table(), t.deltaVersion(), t.verdict(), t.rows(),
          t.quarantined() > 0 ? " (" + t.quarantined() + " moved to bronze.quality_quarantine)" : "");
    }
    out.printf("  report: %s%n  json:   %s%n", result.htmlReport(), result.jsonReport());
    out.flush();
  }
}
