package org.carelake.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.carelake.core.CareLakeException;
import org.carelake.core.SensitiveGroups;
import org.carelake.features.FeatureRegistry;
import org.carelake.features.FeatureSet;
import org.carelake.features.FeatureSets;
import org.carelake.pipelines.quality.QualityLedger;
import org.carelake.training.CohortJob;
import org.carelake.training.PinnedInputs;
import org.carelake.training.TrainingSets;
import org.carelake.training.cohort.CohortDefinition;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trainset}: build a recorded, point-in-time training set, or rebuild a recorded one exactly. */
@Command(name = "trainset", mixinStandardHelpOptions = true,
    description = {"Join a cohort to a feature set point-in-time correctly (only values known at each index date, within each",
        "feature's TTL), write gold.trainset_<cohort>, and record it in ops.training_set with the cohort definition hash, the",
        "feature versions and hashes, every input's Delta version, the sensitive groups, the row count and a content hash.",
        "--rebuild ID rebuilds a recorded training set from those Delta versions (time travel) and compares content hashes:",
        "exit 0 when identical, 1 when not."},
    footer = {"", "Examples:", "  ./carelake trainset --cohort training/cohorts/incident-dysglycemia-3y.yaml --features cardiometabolic_v1",
        "  ./carelake trainset --rebuild ts-0123456789abcdef --output /tmp/rebuilt"})
public final class TrainsetCommand implements Callable<Integer> {

  @Mixin GlobalOptions global;
  @Spec CommandSpec spec;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Mode mode;

  static final class Mode {
    @Option(names = "--cohort", paramLabel = "FILE", description = "Cohort definition YAML.")
    Path cohort;

    @Option(names = "--rebuild", paramLabel = "ID", description = "Rebuild the recorded training set ID and verify its content hash.")
    String rebuild;
  }

  @Option(names = "--features", paramLabel = "SET", defaultValue = "cardiometabolic_v1",
      description = "Feature set (default: ${DEFAULT-VALUE}).")
  String features;

  @Option(names = "--output", paramLabel = "DIR", description = "With --rebuild: also write the rebuilt rows here as Parquet.")
  Path output;

  @Mixin GroupsOption groups;

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    if (mode.rebuild != null) {
      if (groups.file != null) {
        throw CareLakeException.badInput("--bias-config does not apply to --rebuild: a rebuild uses the sensitive groups recorded with "
            + "the training set.", "drop --bias-config.");
      }
      CliContext context = new CliContext(global);
      TrainingSets.Rebuilt rebuilt = new TrainingSets(context.spark(), context.lakehouse(), SensitiveGroups.DEFAULT)
          .rebuild(mode.rebuild, output);
      out.printf("Rebuilt %s (%s x %s) from %s%n", rebuilt.record().id(), rebuilt.record().cohort(), rebuilt.record().featureSet(),
          rebuilt.record().inputVersions());
      out.printf("  recorded: %d rows, content hash %s%n  rebuilt:  %d rows, content hash %s%n", rebuilt.record().rowCount(),
          rebuilt.record().contentHash(), rebuilt.rowCount(), rebuilt.contentHash());
      if (output != null) {
        out.printf("  rows written to %s%n", output);
      }
      out.flush();
      if (!rebuilt.identical()) {
        throw CareLakeException.gateFailed("Training set " + rebuilt.record().id() + " did not rebuild identically.",
            "check that the recorded Delta versions are still readable (no VACUUM past them) and report a bug otherwise.");
      }
      out.println("  identical");
      out.flush();
      return 0;
    }
    CohortDefinition definition = CohortDefinition.load(mode.cohort);
    FeatureSet set = FeatureSets.byName(features);
    SensitiveGroups sensitiveGroups = groups.groups();
    CliContext context = new CliContext(global);
    QualityLedger ledger = new QualityLedger(context.spark(), context.lakehouse());
    PinnedInputs inputs = PinnedInputs.current(context.spark(), context.lakehouse(), PinnedInputs.forFeatures(set), ledger::verdict);
    new FeatureRegistry(context.spark(), context.lakehouse()).register(List.of(set));
    TrainingSets.Built built = new TrainingSets(context.spark(), context.lakehouse(), sensitiveGroups)
        .create(definition, set, inputs);
    var report = CohortJob.writeReport(context.lakehouse(), built.cohort(), inputs.versions());
    CohortCommand.printAttrition(built.cohort(), out);
    TrainingSets.Record r = built.record();
    out.printf("Training set %s%s: %d rows, %d features, content hash %s%n", r.id(), built.newlyRecorded() ? "" : " (already recorded)",
        r.rowCount(), built.featureColumns().size(), r.contentHash());
    out.printf("  table %s v%d; inputs %s%n  attrition report %s%n  rebuild: ./carelake trainset --rebuild %s%n", r.tableName(),
        r.tableVersion(), r.inputVersions(), report.html(), r.id());
    out.flush();
    return 0;
  }
}
