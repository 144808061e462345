package org.carelake.pipelines.quality;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.Progress;
import org.carelake.core.TableId;

/**
 * The checks every pipeline step runs on the tables it wrote, before it commits: each changed table
 * that has a suite is checked (one Deequ pass per table, quarantine action applied inside the step's
 * transaction) and its verdict recorded for the version it will keep. When a check with action
 * {@code fail} fails, the step stops: its transaction restores every table it wrote to the last good
 * version, so gold tables, features and training never see the new data, and the command exits 1.
 * The failed verdict and its metrics stay on record for the report.
 */
public final class StepChecks {

  private final List<SuiteFile> suites;
  private final List<QualityResult> results = new ArrayList<>();
  /** Table versions this step has checked already (a step that writes silver, then gold, checks silver once). */
  private final java.util.Set<String> checked = new java.util.HashSet<>();

  private StepChecks(List<SuiteFile> suites) {
    this.suites = suites;
  }

  /**
   * The built-in suites, replaced or extended per table by those in {@code folder} (may be null);
   * all are parsed and validated now, before the step runs any Spark job.
   */
  public static StepChecks of(Path folder) {
    return new StepChecks(DeclarativeSuites.load(folder));
  }

  /** No checks (benchmarks that measure the ingest alone, tests of other concerns). */
  public static StepChecks none() {
    return new StepChecks(List.of());
  }

  public boolean enabled() {
    return !suites.isEmpty();
  }

  /** What each {@link #run} of this step found, in order. */
  public List<QualityResult> results() {
    return List.copyOf(results);
  }

  /**
   * Checks the tables {@code tx} changed that have a suite (a table created by this run counts as
   * changed); throws a gate failure (exit 1) when a fail-action check fails, which makes the caller's
   * transaction roll back.
   */
  public QualityResult run(SparkSession spark, Lakehouse lakehouse, LakehouseTransaction tx, String step, Progress progress) {
    // Only tables some suite checks are looked at (each look reads the Delta log, and a new table's emptiness starts a Spark job).
    Set<TableId> suited = suites.stream().map(SuiteFile::table).collect(Collectors.toSet());
    Set<TableId> changed = tx.touched().entrySet().stream()
        .filter(e -> suited.contains(e.getKey()))
        .filter(e -> changed(spark, lakehouse, e.getKey(), e.getValue()))
        .filter(e -> !checked.contains(e.getKey().qualifiedName() + "@" + lakehouse.version(spark, e.getKey()).orElse(-1L)))
        .map(Map.Entry::getKey).collect(Collectors.toSet());
    List<SuiteFile> due = suites.stream().filter(s -> changed.contains(s.table())).toList();
    if (due.isEmpty()) {
      return null;
    }
    progress.detail(step + ": checking " + due.stream().map(s -> s.table().qualifiedName()).collect(Collectors.joining(", ")));
    QualityResult result = new QualityRunner(spark, lakehouse, progress).within(tx).run(DeclarativeSuites.build(spark, lakehouse, due));
    results.add(result);
    result.tables().forEach(t -> checked.add(t.table() + "@" + t.deltaVersion()));
    if (!result.passed()) {
      Set<String> failedRules = new java.util.LinkedHashSet<>();
      boolean unknownPatients = false;
      for (QualityResult.TableVerdict t : result.tables()) {
        for (QualityResult.ConstraintOutcome c : t.constraints()) {
          if (!c.passed() && c.severity() == Severity.ERROR) {
            failedRules.add(t.table() + " " + c.check() + ": " + rule(c.constraint()) + (c.message() == null ? "" : " (" + c.message() + ")"));
            // A patient_exists rule tests the column DeclarativeSuites joins in from silver.patient.
            unknownPatients |= c.constraint().contains(SilverSuites.PATIENT_KNOWN);
          }
        }
      }
      List<String> failed = new ArrayList<>(failedRules);
      throw CareLakeException.gateFailed(step + " stopped by its quality checks: " + result.failedErrors()
              + " error-level constraints failed on " + result.tables().stream().filter(t -> !t.passed())
              .map(t -> t.table() + " v" + t.deltaVersion()).collect(Collectors.joining(", "))
              + " (" + String.join("; ", failed.subList(0, Math.min(5, failed.size()))) + (failed.size() > 5 ? "; ..." : "")
              + "). Nothing this step wrote was committed: every table it changed is at its last good version.",
          (unknownPatients ? "gold tables only take patients that silver.patient knows: ingest the EHR export that holds them"
              + " (./carelake ingest fhir) first. " : "")
              + "See " + result.htmlReport() + " for the failed rules; fix the source data (or the suite, if the rule is wrong) and run"
              + " the step again.");
    }
    return result;
  }

  /** A rule as its suite names it (Deequ's compliance rules carry that name), else Deequ's description. */
  static String rule(String constraint) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^ComplianceConstraint\\(Compliance\\(([^,]+),").matcher(constraint);
    return m.find() ? m.group(1) : constraint;
  }

  /**
   * Whether the step changed the table's data. A table the step only created, empty (e.g. a FHIR
   * resource type absent from the input), holds nothing to check yet: its first rows will be.
   */
  private static boolean changed(SparkSession spark, Lakehouse lakehouse, TableId table, Optional<Long> before) {
    Optional<Long> now = lakehouse.version(spark, table);
    if (now.isEmpty() || before.isPresent() && now.get() <= before.get()) {
      return false;
    }
    return before.isPresent() || !lakehouse.read(spark, table).isEmpty();
  }
}
