package org.carelake.cli;

import java.time.LocalDate;
import java.util.concurrent.Callable;
import org.carelake.core.Progress;
import org.carelake.pipelines.fhir.internal.Mappers;
import org.carelake.pipelines.synthea.SyntheaGenerator;
import org.carelake.pipelines.synthea.SyntheaOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Generates a seeded Synthea population as FHIR Bulk Data NDJSON under the lakehouse. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Generate a reproducible Synthea population (FHIR Bulk NDJSON) under <lakehouse>/raw/; prints its folder.")
public final class GenerateCommand implements Callable<Integer> {

  @Mixin GlobalOptions global;
  @Mixin PopulationOptions population;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    CliContext context = new CliContext(global);
    Progress progress = new Progress(context.progressStream(), 0);
    progress.step("generate: Synthea population of " + population.patients + " (seed " + population.seed + ")");
    var folder = new SyntheaGenerator(context.lakehouse().rawDir()).generate(population.options(), progress);
    spec.commandLine().getOut().println(folder.toAbsolutePath());
    spec.commandLine().getOut().flush();
    return 0;
  }

  /** Population options shared by {@code generate} and {@code demo}. */
  public static final class PopulationOptions {
    @Option(names = "--patients", defaultValue = "1000", description = "Living patients to generate (default: ${DEFAULT-VALUE}).")
    int patients;

    @Option(names = "--seed", defaultValue = "20250101", description = "Synthea seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--reference-date", defaultValue = "2025-01-01",
        description = "The simulation's 'today', fixed for reproducibility (default: ${DEFAULT-VALUE}).")
    LocalDate referenceDate;

    public SyntheaOptions options() {
      return new SyntheaOptions(patients, seed, referenceDate, SyntheaOptions.DEFAULT_STATE,
          Mappers.DEMO_TYPES);
    }
  }
}
