package org.carelake.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.carelake.core.CareLakeException;
import org.carelake.core.TableId;
import org.carelake.core.TableWrite;
import org.carelake.pipelines.gold.PatientSummaryJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Builds the gold tables from silver. */
@Command(name = "gold", mixinStandardHelpOptions = true, description = {"Build gold tables (gold.patient_summary) from silver, checked "
    + "before commit.", "Skipped when the silver versions its last build read (ops.build_lineage) are still current."})
public final class GoldCommand implements Callable<Integer> {

  @Mixin GlobalOptions global;
  @Mixin CheckOptions checkOptions;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    var checks = checkOptions.load();
    CliContext context = new CliContext(global);
    PatientSummaryJob job = new PatientSummaryJob(context.spark(), context.lakehouse()).checks(checks);
    var out = spec.commandLine().getOut();
    Map<TableId, Long> inputs = job.inputVersions();
    PatientSummaryJob.Result result = job.upToDate(inputs).orElseGet(() -> {
      // gold advances only from silver versions that did not fail their checks: the versions the build reads
      var ledger = new org.carelake.pipelines.quality.QualityLedger(context.spark(), context.lakehouse());
      inputs.forEach((input, version) -> {
        if ("FAIL".equals(ledger.verdict(input, version))) {
          throw CareLakeException.gateFailed(input + " v" + version + " failed its quality checks; gold is not rebuilt from it.",
              "see the quality report, fix the data and re-ingest (or run ./carelake quality run after a fix).");
        }
      });
      return QualityCommand.printingChecks(checks, out, () -> job.build(inputs));
    });
    out.println(describe(result));
    QualityCommand.printChecks(checks, out);
    out.flush();
    return 0;
  }

  /** One line: the versions, and for a skipped build the input versions it was already built from. */
  static String describe(PatientSummaryJob.Result result) {
    TableWrite write = result.write();
    String versions = write.table() + " v" + write.versionBefore() + " -> v" + write.versionAfter();
    if (!result.upToDate()) {
      return versions + " (built from " + inputs(result) + ")";
    }
    return versions + " (up to date: its last build read " + inputs(result) + ", which have not changed since)";
  }

  private static String inputs(PatientSummaryJob.Result result) {
    return result.inputVersions().entrySet().stream().map(e -> e.getKey() + " v" + e.getValue())
        .collect(Collectors.joining(", "));
  }
}
