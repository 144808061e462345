package org.carelake.cli;

import java.util.concurrent.Callable;
import org.carelake.core.TableWrite;
import org.carelake.pipelines.gold.PatientSummaryJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Builds the gold tables from silver. */
@Command(name = "gold", mixinStandardHelpOptions = true, description = "Build gold tables (gold.patient_summary) from silver, checked before commit.")
public final class GoldCommand implements Callable<Integer> {

  @Mixin GlobalOptions global;
  @Mixin CheckOptions checkOptions;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    var checks = checkOptions.load();
    CliContext context = new CliContext(global);
    // gold advances only from silver versions that did not fail their checks
    var ledger = new org.carelake.pipelines.quality.QualityLedger(context.spark(), context.lakehouse());
    for (org.carelake.core.TableId input : PatientSummaryJob.INPUTS) {
      long version = context.lakehouse().version(context.spark(), input).orElse(-1L);
      if (version >= 0 && "FAIL".equals(ledger.verdict(input, version))) {
        throw org.carelake.core.CareLakeException.gateFailed(input + " v" + version + " failed its quality checks; gold is not rebuilt from it.",
            "see the quality report, fix the data and re-ingest (or run ./carelake quality run after a fix).");
      }
    }
    var out = spec.commandLine().getOut();
    TableWrite write = QualityCommand.printingChecks(checks, out,
        () -> new PatientSummaryJob(context.spark(), context.lakehouse()).checks(checks).execute());
    out.printf("%s v%d -> v%d%n", write.table(), write.versionBefore(), write.versionAfter());
    QualityCommand.printChecks(checks, out);
    out.flush();
    return 0;
  }
}
