package org.carelake.cli;

import java.nio.file.Path;
import org.carelake.pipelines.quality.StepChecks;
import picocli.CommandLine.Option;

/** The check suites a pipeline step runs on the tables it changes, before it commits. */
public final class CheckOptions {

  @Option(names = "--suites", paramLabel = "DIR",
      description = "Check suites (*.yaml) that replace or add to the built-in ones per table. The step checks every table it changed "
          + "before committing; a failed fail-action check rolls the step back and exits 1.")
  Path suites;

  /** Loads and validates the suites (no Spark job): a bad suite file stops the step before it reads anything. */
  StepChecks load() {
    return StepChecks.of(suites);
  }
}
