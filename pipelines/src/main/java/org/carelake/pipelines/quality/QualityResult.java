package org.carelake.pipelines.quality;

import java.util.List;

/**
 * The outcome of one quality run: a verdict per table (at the Delta version checked) and every
 * constraint's result. {@link #passed()} is false when any ERROR-severity constraint failed.
 */
public record QualityResult(String runId, List<TableVerdict> tables, String htmlReport, String jsonReport) {

  public boolean passed() {
    return tables.stream().allMatch(TableVerdict::passed);
  }

  public long failedErrors() {
    return tables.stream().flatMap(t -> t.constraints().stream()).filter(c -> !c.passed() && c.severity() == Severity.ERROR).count();
  }

  public long failedWarnings() {
    return tables.stream().flatMap(t -> t.constraints().stream()).filter(c -> !c.passed() && c.severity() == Severity.WARNING).count();
  }

  /** One table's verdict; {@code quarantined} rows left the table (action quarantine) before the version checked. */
  public record TableVerdict(String table, long deltaVersion, long rows, long quarantined, List<ConstraintOutcome> constraints) {
    public boolean passed() {
      return constraints.stream().noneMatch(c -> !c.passed() && c.severity() == Severity.ERROR);
    }

    public String verdict() {
      if (!passed()) {
        return "FAIL";
      }
      return constraints.stream().anyMatch(c -> !c.passed()) ? "WARN" : "PASS";
    }
  }

  /** One constraint's result; the message says what was measured, never row contents. */
  public record ConstraintOutcome(String check, Severity severity, String constraint, boolean passed, String message) {}
}
