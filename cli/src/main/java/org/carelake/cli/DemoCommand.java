package org.carelake.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.KeyProvider;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.TableId;
import org.carelake.core.report.Reports;
import org.carelake.pipelines.fhir.FhirIngestJob;
import org.carelake.pipelines.fhir.FhirIngestResult;
import org.carelake.pipelines.gold.PatientSummaryJob;
import org.carelake.pipelines.quality.DeclarativeSuites;
import org.carelake.pipelines.quality.QualityResult;
import org.carelake.pipelines.quality.QualityRunner;
import org.carelake.pipelines.quality.StepChecks;
import org.carelake.pipelines.synthea.SyntheaGenerator;
import org.carelake.pipelines.genomic.DemoGenomics;
import org.carelake.pipelines.genomic.VcfIngestResult;
import org.carelake.pipelines.wearable.DemoWearables;
import org.carelake.pipelines.wearable.WearableIngestResult;
import org.carelake.training.TrainJob;
import org.carelake.training.cohort.CohortDefinition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The main job on embedded defaults: generate a seeded Synthea population, ingest it, check it,
 * train and audit a cohort model, and register it. Re-running on the same lakehouse reuses the
 * generated data, changes no data table, and registers the next model version with the same metrics.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Run the whole platform end to end on generated data: Synthea -> bronze/silver/gold, wearables -> Deequ checks ->",
        "cohort + point-in-time features -> MLlib model -> bias report -> model registry."},
    footer = {"", "Example:", "  ./carelake demo                      # default population, ./lakehouse",
        "  ./carelake demo --patients 100 --seed 7 --lakehouse /tmp/lh"})
public final class DemoCommand implements Callable<Integer> {

  /** About this many in a hundred adult patients get wearable data in the demo. */
  static final int WEARABLE_PERCENT = 5;
  /** About this many in a hundred adult patients have genotyping results in the demo. */
  static final int GENOMIC_PERCENT = 20;

  @Mixin GlobalOptions global;
  @Mixin GenerateCommand.PopulationOptions population;
  @Spec CommandSpec spec;

  @Option(names = "--cohort", paramLabel = "FILE", description = "Cohort definition (default: ${DEFAULT-VALUE}).")
  Path cohort = TrainCommand.DEFAULT_COHORT;

  @Override
  public Integer call() {
    CohortDefinition definition = CohortDefinition.load(cohort);
    // Every ingest step checks the silver tables it changed (the built-in suites) before it commits.
    StepChecks checks = StepChecks.of(null);
    CliContext context = new CliContext(global);
    Progress progress = new Progress(context.progressStream(), 8);
    var out = spec.commandLine().getOut();

    progress.step("pseudonymization key");
    KeyProvider keys = KeyProvider.fromEnvironment();
    keys.createLocalKeyIfMissing().ifPresent(file -> progress.detail("created a local pseudonymization key at " + file
        + " (permissions 0600, outside the lakehouse). Demo only: production keys come from $" + KeyProvider.ENV_KEY
        + " or a managed key file."));

    progress.step("generate Synthea population: " + population.patients + " patients, seed " + population.seed + ", reference date "
        + population.referenceDate);
    Lakehouse lakehouse = context.lakehouse();
    Path data = new SyntheaGenerator(lakehouse.rawDir()).generate(population.options(), progress);

    progress.step("ingest FHIR into bronze and silver (checked with Deequ before commit); build gold");
    SparkSession spark = context.spark();
    FhirIngestResult ingest = QualityCommand.printingChecks(checks, out,
        () -> new FhirIngestJob(spark, lakehouse, keys.pseudonymizer(), progress).checks(checks).execute(FhirIngestJob.plan(data)));
    progress.detail(String.format(Locale.ROOT, "read %d = upserted %d + unchanged %d + deleted %d + quarantined %d (%s skipped: "
        + "already ingested)", ingest.read(), ingest.upserted(), ingest.unchanged(), ingest.deleted(), ingest.quarantined(),
        Progress.count(ingest.skippedFiles(), "file")));
    PatientSummaryJob.Result gold = QualityCommand.printingChecks(checks, out,
        () -> new PatientSummaryJob(spark, lakehouse).checks(checks).execute());
    progress.detail(GoldCommand.describe(gold));

    progress.step("wearables: generate device exports for a share of adult patients, ingest them, build gold.wearable_daily");
    WearableIngestResult wearables = QualityCommand.printingChecks(checks, out, () -> DemoWearables.run(spark, lakehouse,
        keys.pseudonymizer(), population.referenceDate, population.seed, WEARABLE_PERCENT, checks, progress));
    progress.detail(String.format(Locale.ROOT, "records read %d = accepted %d + quarantined %d; %d patient-days updated", wearables.read(),
        wearables.accepted(), wearables.quarantined(), wearables.daysUpdated()));

    progress.step("genomics: genotyping results (VCF) for a share of adult patients, ingest, pharmacogenomic markers, polygenic score");
    DemoGenomics.Result genomics = QualityCommand.printingChecks(checks, out, () -> DemoGenomics.run(spark, lakehouse,
        keys.pseudonymizer(), population.referenceDate, population.seed, GENOMIC_PERCENT, checks, progress));
    progress.detail(String.format(Locale.ROOT, "%d samples linked; %d calls written; %s matched %d of %d score variants",
        genomics.ingest().samplesLinked(), genomics.ingest().callsWritten(), genomics.score().scoreId(), genomics.score().matched(),
        genomics.score().variantsTotal()));

    progress.step("data bias and the quality report (verdicts, metric history, representation and coverage by group)");
    var dataBias = new org.carelake.pipelines.quality.DataBias(spark, lakehouse);
    var biasConfig = org.carelake.pipelines.quality.DataBias.config(null);
    var dataBiasReport = dataBias.write(dataBias.compute(biasConfig, population.referenceDate, null), biasConfig);
    progress.detail("data bias (representation and coverage per group): " + dataBiasReport.html());
    var qualityReport = new QualityRunner(spark, lakehouse, progress).report(DeclarativeSuites.load(null));
    long tablesChecked = checks.results().stream().flatMap(r -> r.tables().stream()).map(QualityResult.TableVerdict::table).distinct().count();

    progress.step("cohort, features, model, bias audit and registry: " + definition.name());
    TrainJob.Outcome trained = TrainCommand.run(context, definition, org.carelake.core.SensitiveGroups.DEFAULT, 1.0, false, progress);

    progress.step("summary");
    out.println();
    out.println("CareLake demo finished");
    out.println("Tables (rows, Delta version):");
    for (TableId table : lakehouse.tables()) {
      out.printf("  %-42s %10d  v%d%n", table.qualifiedName(), lakehouse.read(spark, table).count(),
          lakehouse.version(spark, table).orElse(-1L));
    }
    out.printf("FHIR ingest: read %d = upserted %d + unchanged %d + deleted %d + quarantined %d, %s skipped as already "
        + "ingested [%s]%n", ingest.read(), ingest.upserted(), ingest.unchanged(), ingest.deleted(), ingest.quarantined(),
        Progress.count(ingest.skippedFiles(), "file"),
        ingest.reconciles() ? "reconciled" : "DOES NOT RECONCILE");
    out.printf("Wearables: records read %d = accepted %d + quarantined %d; measurements %d = written %d + unchanged %d + duplicates %d "
        + "[%s]; %s skipped as already ingested%n", wearables.read(), wearables.accepted(), wearables.quarantined(),
        wearables.measurements(), wearables.written(), wearables.unchanged(), wearables.duplicates(),
        wearables.reconciles() ? "reconciled" : "DOES NOT RECONCILE", Progress.count(wearables.skippedFiles(), "file"));
    VcfIngestResult vcf = genomics.ingest();
    out.printf("Genomics: VCF records read %d = accepted %d + quarantined %d; calls %d = written %d + of unmapped samples %d [%s]; "
        + "%s skipped as already ingested; PRS %s: %d of %d variants matched (%d palindromic excluded)%n", vcf.records(),
        vcf.accepted(), vcf.quarantined(), vcf.calls(), vcf.callsWritten(), vcf.callsOfUnmappedSamples(),
        vcf.reconciles() ? "reconciled" : "DOES NOT RECONCILE", Progress.count(vcf.skippedFiles(), "file"), genomics.score().scoreId(),
        genomics.score().matched(),
        genomics.score().variantsTotal(), genomics.score().palindromic());
    out.printf("Quality: PASS (%d tables checked by the steps that wrote them; %d rows moved to bronze.quality_quarantine)%n",
        tablesChecked, checks.results().stream().flatMap(r -> r.tables().stream()).mapToLong(QualityResult.TableVerdict::quarantined).sum());
    Reports.Written bias;
    if (trained instanceof TrainJob.Result result) {
      out.printf("Cohort %s: %d patients (%d train, %d test)%n", definition.name(), result.run().trainRows() + result.run().testRows(),
          result.run().trainRows(), result.run().testRows());
      out.printf("Training set %s: %d rows, content hash %s (rebuild: ./carelake trainset --rebuild %s)%n", result.trainingSet().id(),
          result.trainingSet().rowCount(), result.trainingSet().contentHash().substring(0, 16), result.trainingSet().id());
      out.printf("Model AUROC (test): %s%n", result.run().aurocTestText());
      out.printf("Registry: %s v%d at %s%n", result.version().model(), result.version().version(), result.version().directory());
      bias = result.biasReport();
    } else {
      TrainJob.UpToDate upToDate = (TrainJob.UpToDate) trained;
      out.println(TrainCommand.describe(upToDate));
      out.printf("Registry: %s v%d at %s (up to date)%n", upToDate.version().model(), upToDate.version().version(),
          upToDate.version().directory());
      bias = upToDate.version().biasReport();
    }
    out.printf("Reports:%n  quality    %s%n             %s%n  data bias  %s%n             %s%n  attrition  %s%n  bias       %s%n"
            + "             %s%n", qualityReport.html(), qualityReport.json(), dataBiasReport.html(), dataBiasReport.json(),
        lakehouse.reportsDir().resolve("cohorts").resolve(definition.name() + "-attrition.html"),
        bias.html(), bias.json());
    out.printf("Try: ./carelake sql --lakehouse %s \"SELECT count(*) FROM silver.patient\"%n", lakehouse.root());
    out.flush();
    return 0;
  }
}
