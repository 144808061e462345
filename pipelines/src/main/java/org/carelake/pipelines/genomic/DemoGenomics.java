package org.carelake.pipelines.genomic;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.Pseudonymizer;
import org.carelake.pipelines.wearable.DemoWearables;

/**
 * The demo's genomic step: genotyping results for a share of the adult patients (chosen by
 * pseudonym, like the wearable step), written with htsjdk ({@link GenomicGenerator}), ingested,
 * then pharmacogenomic markers and the synthetic score into gold.
 */
public final class DemoGenomics {

  /** Background sites besides markers and score variants. */
  static final int BACKGROUND_SITES = 2000;

  private DemoGenomics() {}

  /** What the step did. */
  public record Result(VcfIngestResult ingest, PgxMarkers.PgxResult markers, PolygenicScores.PrsResult score) {}

  public static Result run(SparkSession spark, Lakehouse lakehouse, Pseudonymizer keys, LocalDate referenceDate, long seed, int percent,
      org.carelake.pipelines.quality.StepChecks checks, Progress progress) {
    List<GenomicGenerator.Subject> subjects = DemoWearables.subjects(spark, lakehouse, keys, referenceDate, percent).stream()
        .map(s -> new GenomicGenerator.Subject(s.patientId(), s.female())).toList();
    Path dir = lakehouse.rawDir().resolve("genomics-" + seed + "-" + referenceDate + "-" + subjects.size());
    progress.detail("genotyping results for " + subjects.size() + " patients (htsjdk, bgzip VCF)");
    GenomicGenerator.Output out = GenomicGenerator.generate(subjects, referenceDate, seed, BACKGROUND_SITES, dir);
    VcfIngestResult ingest = new VcfIngestJob(spark, lakehouse, keys, progress).checks(checks).execute(out.vcf(), out.samples(), false);
    PgxMarkers.PgxResult markers = new PgxMarkers(spark, lakehouse).checks(checks).compute(PgxMarkers.load(null));
    PolygenicScores.PrsResult score = new PolygenicScores(spark, lakehouse, progress).checks(checks).score(PgsScoreFile.read(out.score()));
    return new Result(ingest, markers, score);
  }
}
