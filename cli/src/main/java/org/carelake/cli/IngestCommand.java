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
    subcommands = {IngestCommand.Fhir.class, IngestCommand.Wearables.class, IngestCommand.Vcf.class})
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
    @Mixin CheckOptions checkOptions;
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
      var checks = checkOptions.load();
      Progress progress = new Progress(context.progressStream(), 0);
      progress.step("ingest fhir: " + plan.fileCount() + " files");
      FhirIngestResult result = QualityCommand.printingChecks(checks, spec.commandLine().getOut(),
          () -> new FhirIngestJob(context.spark(), context.lakehouse(), keys, progress).checks(checks).execute(plan, force));
      print(result, spec.commandLine().getOut());
      QualityCommand.printChecks(checks, spec.commandLine().getOut());
      if (result.files() > 0 && result.accepted() + result.deleted() == 0) {
        throw CareLakeException.badInput("No FHIR resource could be read from " + input + " (" + result.read()
                + " records, all quarantined; see bronze.fhir_quarantine for each reason).",
            "check the files are FHIR R4 NDJSON or Bundles and not empty.");
      }
      return 0;
    }
  }

  @Command(name = "wearables", mixinStandardHelpOptions = true,
      description = {"Ingest wearable exports into silver.wearable_measurement (UTC, normalized units) and update gold.wearable_daily",
          "for the patient-days whose data changed. Reads the Fitabase Fitbit CSV layouts (daily, hourly, minute narrow/wide,",
          "heart rate by second, sleep, weight), Open mHealth JSON data points (heart-rate, step-count, sleep-duration,",
          "body-weight; .json, .ndjson) and the generic CSV device_id,timestamp,metric,value,unit[,end_timestamp];",
          "plain, .gz or .zip. Rejected records go to bronze.wearable_quarantine with the reason."},
      footer = {"", "devices.csv columns: device_id,patient_id,time_zone (the EHR patient's source id; an IANA zone, which turns",
          "Fitabase's local wall-clock times into UTC). Records of devices not in it are kept in the quarantine until mapped;",
          "a changed devices.csv makes the next run read every file again.", "",
          "Example:", "  ./carelake ingest wearables --input exports/fitbit/ --devices devices.csv",
          "  ./carelake ingest wearables --rebuild-daily      # recompute gold.wearable_daily from all of silver"})
  static final class Wearables implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Mixin CheckOptions checkOptions;
    @Spec CommandSpec spec;

    @Option(names = "--input", paramLabel = "PATH", description = "A wearable export file or a folder of them.")
    Path input;

    @Option(names = "--devices", paramLabel = "FILE", description = "devices.csv: device or user id to patient and time zone.")
    Path devices;

    @Option(names = "--device-id", paramLabel = "ID", description = "Device id for Open mHealth data points that carry no header.user_id.")
    String deviceId;

    @Option(names = "--force", description = "Re-read files already ingested with the same content (ops.ingest_manifest).")
    boolean force;

    @Option(names = "--rebuild-daily", description = "Recompute gold.wearable_daily from all of silver.wearable_measurement.")
    boolean rebuildDaily;

    @Override
    public Integer call() {
      var out = spec.commandLine().getOut();
      if (rebuildDaily) {
        CliContext context = new CliContext(global);
        TableWrite w = new org.carelake.pipelines.wearable.WearableIngestJob(context.spark(), context.lakehouse(),
            KeyProvider.fromEnvironment().pseudonymizer(), new Progress(context.progressStream(), 0)).rebuildDaily();
        out.printf("%s v%d -> v%d%n", w.table(), w.versionBefore(), w.versionAfter());
        out.flush();
        return 0;
      }
      if (input == null || devices == null) {
        throw CareLakeException.badInput("ingest wearables needs --input and --devices (or --rebuild-daily).",
            "e.g. ./carelake ingest wearables --input exports/ --devices devices.csv");
      }
      var plan = org.carelake.pipelines.wearable.WearableIngestJob.plan(input);
      var keys = KeyProvider.fromEnvironment().pseudonymizer();
      var checks = checkOptions.load();
      CliContext context = new CliContext(global);
      Progress progress = new Progress(context.progressStream(), 0);
      progress.step("ingest wearables: " + plan.files().size() + " files");
      var result = QualityCommand.printingChecks(checks, out, () -> new org.carelake.pipelines.wearable.WearableIngestJob(context.spark(),
          context.lakehouse(), keys, progress).checks(checks).execute(plan, devices, deviceId, force));
      print(result, out);
      QualityCommand.printChecks(checks, out);
      if (result.files() > 0 && result.accepted() == 0) {
        throw CareLakeException.badInput("No wearable record could be accepted from " + input + " (" + result.read()
                + " records, all quarantined; see bronze.wearable_quarantine for each reason).",
            "check the layouts and devices.csv (unmapped devices are the most common cause).");
      }
      return 0;
    }
  }

  @Command(name = "vcf", mixinStandardHelpOptions = true,
      description = {"Ingest VCF 4.1-4.3 files (plain, bgzip .vcf.gz/.bgz, or gzip; single- or multi-sample) into silver.variant,",
          "silver.genotype and silver.genomic_sample, then update gold.pgx_marker. htsjdk parses the records inside Spark tasks;",
          "bgzip files are split at block boundaries so one large file is read by many tasks. Records htsjdk rejects go to",
          "bronze.vcf_quarantine with the reason and line; a truncated or non-VCF file stops the run with nothing committed."},
      footer = {"", "samples.csv columns: sample_id,patient_id[,result_date] (the VCF sample name; the EHR patient's source id;",
          "when the result was known, ISO date). Calls of samples it does not list are counted and not written. Ingesting a",
          "file again with a sample replaces that sample's calls; an unchanged file is skipped (ops.ingest_manifest).", "",
          "Example:", "  ./carelake ingest vcf --input sequencing/batch7/ --manifest samples.csv --reference GRCh38.fa",
          "  ./carelake prs --score PGS000018_hmPOS_GRCh38.txt.gz"})
  static final class Vcf implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Mixin CheckOptions checkOptions;
    @Spec CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "A VCF file or a folder of them.")
    Path input;

    @Option(names = {"--manifest", "--samples"}, required = true, paramLabel = "FILE", description = "samples.csv: VCF sample id to patient.")
    Path manifest;

    @Option(names = "--markers", paramLabel = "FILE",
        description = "Pharmacogenomic markers (gene,allele,rsid,chrom,position,ref,alt); default: the built-in list.")
    Path markers;

    @Option(names = "--reference", paramLabel = "FASTA",
        description = {"The reference genome the VCFs were called against (plain or bgzip FASTA with its .fai): indels are then",
            "left-aligned against it, so every way of writing one is one variant. Without it variants are only trimmed."})
    Path reference;

    @Option(names = "--force", description = "Re-read files already ingested with the same content (ops.ingest_manifest).")
    boolean force;

    @Option(names = "--dry-run", description = "Read, check and count every record; write nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
      var out = spec.commandLine().getOut();
      var keys = KeyProvider.fromEnvironment().pseudonymizer();
      var markerList = org.carelake.pipelines.genomic.PgxMarkers.load(markers);
      var checks = checkOptions.load();
      CliContext context = new CliContext(global);
      Progress progress = new Progress(context.progressStream(), 0);
      progress.step("ingest vcf: " + input);
      var result = QualityCommand.printingChecks(checks, out, () -> new org.carelake.pipelines.genomic.VcfIngestJob(context.spark(),
          context.lakehouse(), keys, progress).checks(checks).dryRun(dryRun).reference(reference).execute(input, manifest, force));
      print(result, out);
      QualityCommand.printChecks(checks, out);
      if (result.files() > 0 && result.accepted() == 0) {
        throw CareLakeException.badInput("No VCF record could be read from " + input + " (" + result.records()
            + " records, all quarantined; see bronze.vcf_quarantine for each reason).", "check the files are VCF 4.1-4.3.");
      }
      if (result.files() > 0 && !dryRun) {
        progress.detail("updating gold.pgx_marker (" + markerList.size() + " markers)");
        int before = checks.results().size();
        try {
          print(QualityCommand.printingChecks(checks, out, () -> new org.carelake.pipelines.genomic.PgxMarkers(context.spark(),
              context.lakehouse()).checks(checks).compute(markerList)), out);
        } catch (CareLakeException e) {
          // The ingest itself is committed by now; only the gold step that follows it was rolled back.
          throw new CareLakeException(e.kind(), "The VCF ingest above was committed; updating gold.pgx_marker after it failed: "
              + e.problem(), (e.fix() == null || e.fix().isBlank() ? "" : e.fix() + " ") + "Then run ./carelake pgx to update gold.pgx_marker.", e);
        }
        checks.results().subList(before, checks.results().size()).forEach(r -> QualityCommand.print(r, out));
      }
      return 0;
    }
  }

  static void print(org.carelake.pipelines.genomic.VcfIngestResult r, java.io.PrintWriter out) {
    out.printf("VCF ingest run %s: %s read, %d skipped (already ingested with the same content)%n", r.runId(),
        Progress.count(r.files(), "file"), r.skippedFiles());
    out.printf("  records read %d = accepted %d + quarantined %d%n", r.records(), r.accepted(), r.quarantined());
    out.printf("  variant rows %d = written %d + unchanged %d + duplicate records %d + in several files %d%n", r.variantRows(),
        r.variantsWritten(), r.variantsUnchanged(), r.duplicateVariants(), r.variantsInSeveralFiles());
    out.printf("  calls %d = written %d + of unmapped samples %d + superseded %d + of duplicate records %d  [%s]%n", r.calls(),
        r.callsWritten(), r.callsOfUnmappedSamples(), r.callsSuperseded(), r.callsOfDuplicates(),
        r.reconciles() ? "reconciled" : "DOES NOT RECONCILE");
    for (Map.Entry<String, Long> e : r.quarantinedByReason().entrySet()) {
      out.printf("    quarantined %-24s %10d%n", e.getKey(), e.getValue());
    }
    out.printf("  samples linked to patients: %d%n", r.samplesLinked());
    if (!r.unmappedSamples().isEmpty()) {
      out.printf("  %d samples are not in the manifest (their calls are not written), e.g. %s%n", r.unmappedSamples().size(),
          String.join(", ", r.unmappedSamples().subList(0, Math.min(5, r.unmappedSamples().size()))));
    }
    if (r.patientsNamedTwice() > 0) {
      out.printf("  warning: %d patients are named by more than one sample (each sample is kept; features use the latest result)%n",
          r.patientsNamedTwice());
    }
    if (r.samplesWithoutResultDate() > 0) {
      out.printf("  warning: %d samples have no result_date in the manifest: their result time is this run's time%n",
          r.samplesWithoutResultDate());
    }
    for (Map.Entry<String, Long> e : r.warnings().entrySet()) {
      out.printf("  warning: %s (%d records; kept)%n", e.getKey(), e.getValue());
    }
    for (TableWrite w : r.writes()) {
      out.printf("  %-28s v%d -> v%d  +%d ~%d -%d%n", w.table(), w.versionBefore(), w.versionAfter(), w.inserted(), w.updated(), w.deleted());
    }
    out.flush();
  }

  static void print(org.carelake.pipelines.genomic.PgxMarkers.PgxResult r, java.io.PrintWriter out) {
    out.printf("  gold.pgx_marker: %-26s %8s %8s %10s%n", "marker", "tested", "no call", "not tested");
    for (Map.Entry<String, long[]> e : r.byMarker().entrySet()) {
      out.printf("                   %-26s %8d %8d %10d%n", e.getKey(), e.getValue()[0], e.getValue()[1], e.getValue()[2]);
    }
    TableWrite w = r.write();
    out.printf("  %-28s v%d -> v%d  +%d ~%d -%d%n", w.table(), w.versionBefore(), w.versionAfter(), w.inserted(), w.updated(), w.deleted());
    out.flush();
  }

  static void print(org.carelake.pipelines.wearable.WearableIngestResult r, java.io.PrintWriter out) {
    out.printf("Wearable ingest run %s: %s read, %d skipped (already ingested with the same content)%n", r.runId(),
        Progress.count(r.files(), "file"), r.skippedFiles());
    for (Map.Entry<String, String> e : r.filesNotIngested().entrySet()) {
      out.printf("  not ingested: %s (%s)%n", e.getKey(), e.getValue());
    }
    out.printf("  records read %d = accepted %d + quarantined %d%n", r.read(), r.accepted(), r.quarantined());
    out.printf("  measurements %d = written %d + unchanged %d + duplicates %d  [%s]%n", r.measurements(), r.written(), r.unchanged(),
        r.duplicates(), r.reconciles() ? "reconciled" : "DOES NOT RECONCILE");
    for (Map.Entry<String, Long> e : r.recordsByFormat().entrySet()) {
      out.printf("    read %-36s %10d%n", e.getKey(), e.getValue());
    }
    for (Map.Entry<String, Long> e : r.quarantinedByReason().entrySet()) {
      out.printf("    quarantined %-29s %10d%n", e.getKey(), e.getValue());
    }
    if (r.unmappedDevices() > 0) {
      out.printf("  %d devices are not in devices.csv: their records wait in bronze.wearable_quarantine until mapped%n", r.unmappedDevices());
    }
    if (r.devicesWithoutPatient() > 0) {
      out.printf("  warning: %d mapped devices name patients not (yet) in silver.patient%n", r.devicesWithoutPatient());
    }
    out.printf("  gold.wearable_daily: %d patient-days recomputed%n", r.daysUpdated());
    for (TableWrite w : r.writes()) {
      out.printf("  %-28s v%d -> v%d  +%d ~%d -%d%n", w.table(), w.versionBefore(), w.versionAfter(), w.inserted(), w.updated(), w.deleted());
    }
    out.flush();
  }

  static void print(FhirIngestResult result, java.io.PrintWriter out) {
    out.printf("FHIR ingest run %s: %s read, %d skipped (already ingested with the same content)%n", result.runId(),
        Progress.count(result.files(), "file"), result.skippedFiles());
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
