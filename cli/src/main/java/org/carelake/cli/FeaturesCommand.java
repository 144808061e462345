package org.carelake.cli;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Row;
import org.carelake.core.report.Reports;
import org.carelake.features.FeatureBuild;
import org.carelake.features.FeatureRegistry;
import org.carelake.features.FeatureSet;
import org.carelake.features.FeatureSets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code features list|build}: the feature registry and feature materialization. */
@Command(name = "features", mixinStandardHelpOptions = true, description = "The feature store: registry and builds.",
    subcommands = {FeaturesCommand.ListFeatures.class, FeaturesCommand.Build.class})
public final class FeaturesCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Register the shipped feature sets in ops.feature_registry (no change if unchanged) and list every feature.")
  static final class ListFeatures implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      CliContext context = new CliContext(global);
      FeatureRegistry registry = new FeatureRegistry(context.spark(), context.lakehouse());
      registry.register(FeatureSets.all());
      var out = spec.commandLine().getOut();
      out.printf("%-20s %-28s %3s %-12s %-22s %6s %6s %-12s %s%n", "feature set", "feature", "ver", "aggregation", "source", "window",
          "ttl", "hash", "owner / description");
      for (Row r : registry.list()) {
        out.printf("%-20s %-28s %3d %-12s %-22s %5dd %5dd %-12s %s / %s%n", r.getAs("feature_set"), r.getAs("name"),
            (int) r.getAs("version"), r.<String>getAs("aggregation").toLowerCase(Locale.ROOT), r.getAs("source"),
            (int) r.getAs("lookback_days"), (int) r.getAs("ttl_days"), r.<String>getAs("definition_hash").substring(0, 12),
            r.getAs("owner"), r.getAs("description"));
      }
      out.flush();
      return 0;
    }
  }

  @Command(name = "build", mixinStandardHelpOptions = true,
      description = {"Materialize a feature set for every living patient at an as-of time into gold.feature_<set>, profile each",
          "feature with Deequ, and report drift against the previous build (ops.feature_build_stats, reports/features/)."},
      footer = {"", "Example:", "  ./carelake features build --set cardiometabolic_v1 --as-of 2024-12-31"})
  static final class Build implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec CommandSpec spec;

    @Option(names = "--set", paramLabel = "NAME", defaultValue = "cardiometabolic_v1",
        description = "Feature set (default: ${DEFAULT-VALUE}).")
    String set;

    @Option(names = "--as-of", paramLabel = "DATE",
        description = "As-of date (UTC midnight); default: the latest encounter in silver.encounter.")
    LocalDate asOf;

    @Override
    public Integer call() {
      FeatureSet featureSet = FeatureSets.byName(set);
      CliContext context = new CliContext(global);
      new FeatureRegistry(context.spark(), context.lakehouse()).register(List.of(featureSet));
      Instant at = asOf == null ? null : asOf.atStartOfDay(ZoneOffset.UTC).toInstant();
      FeatureBuild.Result result = new FeatureBuild(context.spark(), context.lakehouse()).build(featureSet, at);
      Reports.Written report = org.carelake.features.FeatureBuildReport.write(context.lakehouse().reportsDir().resolve("features"), featureSet, result);
      var out = spec.commandLine().getOut();
      out.printf("Built %s as of %s: %d patients, Delta version %d%s%n", FeatureBuild.table(featureSet), result.asOf(), result.rows(),
          result.write().versionAfter(), result.write().versionAfter() == result.write().versionBefore() ? " (unchanged)" : "");
      out.printf("%-28s %8s %12s %12s %s%n", "feature", "complete", "mean", "stddev", "drift vs previous build");
      for (FeatureBuild.FeatureStats s : result.stats()) {
        FeatureBuild.Drift d = result.drift().stream().filter(x -> x.feature().equals(s.feature())).findFirst().orElse(null);
        out.printf("%-28s %7.1f%% %12s %12s %s%n", s.feature(), 100 * s.completeness(), fmt(s.mean()), fmt(s.stddev()),
            d == null ? "(first build)" : d.drifted() ? "DRIFT" : "ok");
      }
      if (result.previousBuildId() == null) {
        out.printf("First build of %s: no earlier build to compare for drift. Report: %s%n", featureSet.name(), report.html());
      } else {
        out.printf("%d of %d features drifted since build %s. Report: %s%n", result.drifted(), result.stats().size(),
            result.previousBuildId(), report.html());
      }
      out.flush();
      return 0;
    }

    private static String fmt(Double v) {
      return v == null ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }
  }
}
