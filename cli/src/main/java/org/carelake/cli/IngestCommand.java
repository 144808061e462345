package org.carelake.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.carelake.core.CareLakeException;
import org.carelake.core.KeyProvider;
import org.carelake.core.Progress;
import org.carelake.core.TableWrite;
import org.carelake.pipelines.fhir.FhirIngestJob;
import org.carelake.pipelines.fhir.FhirIngestResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ingest <source>}: brings raw data into bronze and silver. */
@Command(name = "ingest", mixinStandardHelpOptions = true, description = "Ingest source data into bronze and silver tables.",
    subcommands = IngestCommand.Fhir.class)
public final class IngestCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "fhir", mixinStandardHelpOptions = true,
      description = {"Ingest FHIR R4 Bulk Data NDJSON and/or Bundle JSON (plain or .gz) into bronze.fhir_resource,",
          "bronze.fhir_quarantine and the silver tables. Re-running the same input changes nothing."},
      footer = {"", "The pseudonymization key comes from $CARELAKE_HMAC_KEY, $CARELAKE_HMAC_KEY_FILE or ~/.carelake/hmac.key.",
          "", "Example:", "  ./carelake ingest fhir --input exports/2025-01/"})
  static final class Fhir implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "A FHIR file or a folder of them.")
    Path input;

    @Option(names = "--force", description = "Re-read files already ingested with the same content (ops.ingest_manifest).")
    boolean force;

    @Override
    public Integer call() {
      CliContext context = new CliContext(global);
      FhirIngestJob.FhirInputPlan plan = FhirIngestJob.plan(input);
      var keys = KeyProvider.fromEnvironment().pseudonymizer();
      Progress progress = new Progress(context.progressStream(), 0);
      progress.step("ingest fhir: " + plan.fileCount() + " files");
      FhirIngestResult result = new FhirIngestJob(context.spark(), context.lakehouse(), keys, progress).execute(plan, force);
      print(result, spec.commandLine().getOut());
      if (result.files() > 0 && result.accepted() + result.deleted() == 0) {
        throw CareLakeException.badInput("No FHIR resource could be read from " + input + " (" + result.read()
                + " records, all quarantined; see bronze.fhir_quarantine for each reason).",
            "check the files are FHIR R4 NDJSON or Bundles and not empty.");
      }
      return 0;
    }
  }

  static void print(FhirIngestResult result, java.io.PrintWriter out) {
    out.printf("FHIR ingest run %s: %d files read, %d skipped (already ingested with the same content)%n", result.runId(),
        result.files(), result.skippedFiles());
    out.printf("  read %d = upserted %d + unchanged %d + deleted %d + quarantined %d  [%s]%n", result.read(), result.upserted(),
        result.unchanged(), result.deleted(), result.quarantined(), result.reconciles() ? "reconciled" : "DOES NOT RECONCILE");
    if (result.deleted() > 0) {
      out.printf("    tombstones removed %d silver rows%n", result.silverRowsDeleted());
    }
    for (Map.Entry<String, Long> e : result.acceptedByType().entrySet()) {
      out.printf("    accepted %-24s %10d%n", e.getKey(), e.getValue());
    }
    for (Map.Entry<String, Long> e : result.quarantinedByReason().entrySet()) {
      out.printf("    quarantined %-21s %10d%n", e.getKey(), e.getValue());
    }
    for (TableWrite w : result.writes()) {
      out.printf("  %-28s v%d -> v%d  +%d ~%d -%d%n", w.table(), w.versionBefore(), w.versionAfter(), w.inserted(), w.updated(), w.deleted());
    }
    out.flush();
  }
}
