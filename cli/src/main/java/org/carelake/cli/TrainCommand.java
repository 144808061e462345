package org.carelake.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.carelake.core.Progress;
import org.carelake.core.SensitiveGroups;
import org.carelake.features.ClinicalFeatures;
import org.carelake.pipelines.quality.QualityLedger;
import org.carelake.training.TrainJob;
import org.carelake.training.cohort.CohortDefinition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code train}: cohort, features, model, fairness audit and registration in one step. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Build a cohort, its point-in-time features, train an MLlib model, audit fairness per group,",
        "and register a new model version. Refuses inputs without a passing quality verdict (exit 1).",
        "Does nothing when the latest version was trained on the same training set (see --retrain)."},
    footer = {"", "Example:", "  ./carelake train --cohort training/cohorts/incident-dysglycemia-3y.yaml"})
public final class TrainCommand implements Callable<Integer> {

  public static final Path DEFAULT_COHORT = Path.of("training", "cohorts", "incident-hypertension-5y.yaml");

  @Mixin GlobalOptions global;
  @Spec CommandSpec spec;

  @Option(names = "--cohort", paramLabel = "FILE", description = "Cohort definition YAML (default: ${DEFAULT-VALUE}).")
  Path cohort = DEFAULT_COHORT;

  @Option(names = "--max-tpr-gap", paramLabel = "GAP", defaultValue = "1.0",
      description = "Fail (exit 1) when the true-positive-rate gap between groups exceeds this (default: ${DEFAULT-VALUE}, report only).")
  double maxTprGap;

  @Option(names = "--retrain", description = "Train and register a new version even when the latest one was trained on the same "
      + "training set (same cohort definition, features, input Delta versions and groups) with the same algorithm and split.")
  boolean retrain;

  @Mixin GroupsOption groups;

  @Override
  public Integer call() {
    CohortDefinition definition = CohortDefinition.load(cohort);
    SensitiveGroups sensitiveGroups = groups.groups();
    CliContext context = new CliContext(global);
    TrainJob.Outcome outcome = run(context, definition, sensitiveGroups, maxTprGap, retrain, new Progress(context.progressStream(), 0));
    java.io.PrintWriter out = spec.commandLine().getOut();
    if (outcome instanceof TrainJob.Result result) {
      print(result, out);
    } else {
      out.println(describe((TrainJob.UpToDate) outcome));
      out.flush();
    }
    return 0;
  }

  static TrainJob.Outcome run(CliContext context, CohortDefinition definition, SensitiveGroups groups, double maxTprGap, boolean retrain,
      Progress progress) {
    QualityLedger ledger = new QualityLedger(context.spark(), context.lakehouse());
    return new TrainJob(context.spark(), context.lakehouse(), progress)
        .execute(definition, ClinicalFeatures.CARDIOMETABOLIC_V1, ledger::verdict, groups, maxTprGap, retrain);
  }

  /** What an up-to-date run found: the version, the training set and inputs it shares, and how to train anyway. */
  static String describe(TrainJob.UpToDate upToDate) {
    StringBuilder inputs = new StringBuilder();
    upToDate.inputVersions().forEach((table, version) -> inputs.append(inputs.length() == 0 ? "" : ", ").append(table).append(" v")
        .append(version));
    return String.format(java.util.Locale.ROOT, "%s v%d is up to date: it was trained on training set %s, the one the current inputs give "
            + "(%s). Nothing trained or registered (--retrain trains a new version anyway).%n"
            + "Model: AUROC test %s; bias report %s", upToDate.version().model(), upToDate.version().version(),
        upToDate.trainingSetId(), inputs, upToDate.version().aurocTestText(),
        upToDate.version().biasReport().html());
  }

  static void print(TrainJob.Result result, java.io.PrintWriter out) {
    CohortCommand.printAttrition(result.cohort(), out);
    out.printf("Training set %s: %d rows, content hash %s%n", result.trainingSet().id(), result.trainingSet().rowCount(),
        result.trainingSet().contentHash());
    out.printf("Model: %d train / %d test patients, AUROC test %s (train %.3f), threshold %.4f%n", result.run().trainRows(),
        result.run().testRows(), result.run().aurocTestText(), result.run().aurocTrain(), result.run().threshold());
    out.printf("Registered %s v%d at %s%n", result.version().model(), result.version().version(), result.version().directory());
    out.printf("Bias report: %s%n", result.biasReport().html());
    out.flush();
  }
}
