package org.carelake.cli;

import java.util.concurrent.Callable;
import org.carelake.core.TableWrite;
import org.carelake.pipelines.gold.PatientSummaryJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Builds the gold tables from silver. */
@Command(name = "gold", mixinStandardHelpOptions = true, description = "Build gold tables (gold.patient_summary) from silver.")
public final class GoldCommand implements Callable<Integer> {

  @Mixin GlobalOptions global;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    CliContext context = new CliContext(global);
    TableWrite write = new PatientSummaryJob(context.spark(), context.lakehouse()).execute();
    spec.commandLine().getOut().printf("%s v%d -> v%d%n", write.table(), write.versionBefore(), write.versionAfter());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
