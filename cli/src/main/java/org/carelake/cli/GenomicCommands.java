package org.carelake.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.carelake.core.Progress;
import org.carelake.core.TableWrite;
import org.carelake.pipelines.genomic.PgsScoreFile;
import org.carelake.pipelines.genomic.PgxMarkers;
import org.carelake.pipelines.genomic.PolygenicScores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Genomic gold tables from silver.variant / silver.genotype: {@code prs} and {@code pgx}. */
final class GenomicCommands {

  private GenomicCommands() {}

  @Command(name = "prs", mixinStandardHelpOptions = true,
      description = {"Compute polygenic risk scores from PGS Catalog scoring files into gold.prs (one row per sample and score:",
          "score, variants found / total, result time). Variants match on chromosome, position and alleles (rsID when the file",
          "has no positions); strand flips are handled; palindromic A/T and C/G variants are excluded and counted; missing calls",
          "are not imputed. Use the hmPOS file for the genome build of your VCFs."},
      footer = {"", "Example:", "  ./carelake prs --score PGS000018_hmPOS_GRCh38.txt.gz --score PGS000014_hmPOS_GRCh38.txt.gz"})
  static final class Prs implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Mixin CheckOptions checkOptions;
    @Spec CommandSpec spec;

    @Option(names = "--score", required = true, paramLabel = "FILE", description = "A PGS Catalog scoring file (plain or .gz); repeatable.")
    List<Path> scores;

    @Override
    public Integer call() {
      var out = spec.commandLine().getOut();
      List<PgsScoreFile> files = scores.stream().map(PgsScoreFile::read).toList(); // all parsed before any Spark job
      var checks = checkOptions.load();
      CliContext context = new CliContext(global);
      Progress progress = new Progress(context.progressStream(), files.size());
      for (PgsScoreFile file : files) {
        progress.step("prs " + file.scoreId());
        PolygenicScores.PrsResult r = QualityCommand.printingChecks(checks, out,
            () -> new PolygenicScores(context.spark(), context.lakehouse(), progress).checks(checks).score(file));
        print(r, out);
      }
      QualityCommand.printChecks(checks, out);
      return 0;
    }
  }

  static void print(PolygenicScores.PrsResult r, java.io.PrintWriter out) {
    out.printf("PRS %s (%s positions, build %s): %d variants = matched %d (%d on the other strand) + complex %d + palindromic %d"
            + " + ambiguous %d + allele mismatch %d + not in the data %d  [%s]%n", r.scoreId(), r.harmonized() ? "harmonized" : "author-reported",
        r.genomeBuild(), r.variantsTotal(), r.matched(), r.matchedOnOtherStrand(), r.complex(), r.palindromic(), r.ambiguous(),
        r.alleleMismatch(), r.notInData(), r.reconciles() ? "reconciled" : "DOES NOT RECONCILE");
    out.printf("  %d samples scored; mean variants found per sample %.1f of %d%n", r.samples(), r.meanFound(), r.variantsTotal());
    TableWrite w = r.write();
    out.printf("  %-28s v%d -> v%d  +%d ~%d -%d%n", w.table(), w.versionBefore(), w.versionAfter(), w.inserted(), w.updated(), w.deleted());
    out.flush();
  }

  @Command(name = "pgx", mixinStandardHelpOptions = true,
      description = {"Recompute gold.pgx_marker: per sample and marker, copies of the marker's ALT allele with status tested,",
          "no_call (site present, call missing) or not_tested (site absent from the sample's data; never read as reference).",
          "ingest vcf runs this with the built-in list after every ingest."},
      footer = {"", "Marker file columns: gene,allele,rsid,chrom,position,ref,alt (GRCh38 positions in the built-in list).", "",
          "Example:", "  ./carelake pgx --markers my-panel.csv"})
  static final class Pgx implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Mixin CheckOptions checkOptions;
    @Spec CommandSpec spec;

    @Option(names = "--markers", paramLabel = "FILE", description = "Marker list; default: the built-in list.")
    Path markers;

    @Override
    public Integer call() {
      List<PgxMarkers.Marker> list = PgxMarkers.load(markers);
      var checks = checkOptions.load();
      CliContext context = new CliContext(global);
      var out = spec.commandLine().getOut();
      IngestCommand.print(QualityCommand.printingChecks(checks, out,
          () -> new PgxMarkers(context.spark(), context.lakehouse()).checks(checks).compute(list)), out);
      QualityCommand.printChecks(checks, out);
      return 0;
    }
  }
}
