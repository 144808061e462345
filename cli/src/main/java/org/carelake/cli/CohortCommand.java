package org.carelake.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.carelake.core.SensitiveGroups;
import org.carelake.pipelines.quality.QualityLedger;
import org.carelake.training.CohortJob;
import org.carelake.training.cohort.Cohort;
import org.carelake.training.cohort.CohortDefinition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cohort build}: a cohort table and its attrition report from a definition file. */
@Command(name = "cohort", mixinStandardHelpOptions = true, description = "Cohorts: who a model is for.",
    subcommands = CohortCommand.Build.class)
public final class CohortCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "build", mixinStandardHelpOptions = true,
      description = {"Compile a cohort definition over the quality-checked silver tables; write gold.cohort_<name> and the",
          "attrition report (patients remaining after each rule, overall and per sensitive group, small counts withheld)."},
      footer = {"", "Example:", "  ./carelake cohort build --cohort training/cohorts/incident-dysglycemia-3y.yaml"})
  static final class Build implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec CommandSpec spec;

    // --cohort as in train and trainset; --definition is the name it had first.
    @Option(names = {"--cohort", "--definition"}, paramLabel = "FILE", required = true,
        description = "Cohort definition YAML (see training/cohorts/); --definition is an older name for it.")
    Path definition;

    @Mixin GroupsOption groups;

    @Override
    public Integer call() {
      CohortDefinition def = CohortDefinition.load(definition);
      SensitiveGroups sensitiveGroups = groups.groups();
      CliContext context = new CliContext(global);
      QualityLedger ledger = new QualityLedger(context.spark(), context.lakehouse());
      CohortJob.Result result = new CohortJob(context.spark(), context.lakehouse()).run(def, ledger::verdict, sensitiveGroups);
      var out = spec.commandLine().getOut();
      printAttrition(result.cohort(), out);
      out.printf("Wrote %s (Delta version %d) from inputs %s%n", result.write().table(), result.write().versionAfter(),
          result.inputVersions());
      out.printf("Attrition report: %s%n  json: %s%n", result.attritionReport().html(), result.attritionReport().json());
      out.flush();
      return 0;
    }
  }

  /** Overall attrition for the console (counts under 11 shown as <11). */
  static void printAttrition(Cohort cohort, java.io.PrintWriter out) {
    out.printf("Cohort %s attrition:%n", cohort.definition().name());
    for (Cohort.AttritionStep step : cohort.attrition()) {
      out.printf("  %8s  %s%n", org.carelake.core.Suppression.display(step.patients()), step.rule());
    }
  }
}
