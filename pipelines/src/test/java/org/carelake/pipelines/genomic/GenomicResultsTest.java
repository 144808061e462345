package org.carelake.pipelines.genomic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.Pseudonymizer;
import org.carelake.core.schema.GenomicResultSchema;
import org.carelake.core.schema.GenomicSchema;
import org.carelake.core.testing.SparkExtension;
import org.carelake.core.testing.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** gold.prs and gold.pgx_marker on calls written here: every matching rule and every marker state. */
@ExtendWith(SparkExtension.class)
class GenomicResultsTest {

  private static final Pseudonymizer KEYS = TestKeys.pseudonymizer();

  @TempDir Path dir;

  private static String tab(String... cells) {
    return String.join("\t", cells);
  }

  private Lakehouse ingest() throws IOException {
    Path vcf = VcfIngestJobTest.write(dir.resolve("in/calls.vcf"), VcfIngestJobTest.HEADER.replace("##contig=<ID=1,", "##contig=<ID=chr1,"),
        tab("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", "S1", "S2", "S3"),
        tab("chr1", "100", "rs1", "A", "G", "50", "PASS", ".", "GT", "0/1", "1/1", "./."),
        tab("chr1", "200", "rs2", "C", "T", "50", "PASS", ".", "GT", "0/0", "./.", "./."),
        tab("chr1", "300", "rs3", "A", "C", "50", "PASS", ".", "GT", "1/1", "0/1", "./."),
        tab("chr1", "400", "rs4", "A", "T", "50", "PASS", ".", "GT", "0/1", "0/1", "./."));
    Path samples = dir.resolve("samples.csv");
    Files.writeString(samples, "sample_id,patient_id,result_date\nS1,p1,2023-01-01\nS2,p2,2023-02-01\nS3,p3,2023-03-01\n");
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    new VcfIngestJob(SparkExtension.spark(), lakehouse, KEYS, Progress.silent()).execute(vcf, samples, false);
    return lakehouse;
  }

  @Test
  void scoreCountsEffectAllelesOnEitherAlleleAndStrandExcludesPalindromesAndNeverImputes() throws IOException {
    Lakehouse lakehouse = ingest();
    Path file = dir.resolve("PGS_TEST.txt");
    Files.writeString(file, String.join("\n",
        "#pgs_id=PGS_TEST", "#genome_build=GRCh38",
        "rsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight",
        "rs1\t1\t100\tG\tA\t1.0", // effect = ALT
        "rs2\t1\t200\tC\tT\t0.5", // effect = REF: copies = 2 - ALT dosage
        "rs3\t1\t300\tG\tT\t2.0", // other strand: G/T is C/A complemented, effect = ALT
        "rs4\t1\t400\tT\tA\t9.0", // palindromic A/T: excluded
        "rs5\t1\t100\tAT\tA\t9.0", // an indel the data does not have at that position
        "rs6\t1\t600\tG\tA\t9.0") + "\n"); // not in the data
    PolygenicScores.PrsResult r = new PolygenicScores(SparkExtension.spark(), lakehouse, Progress.silent()).score(PgsScoreFile.read(file));
    assertThat(r.variantsTotal()).isEqualTo(6);
    assertThat(r.matched()).isEqualTo(3);
    assertThat(r.matchedOnOtherStrand()).isEqualTo(1);
    assertThat(r.palindromic()).isEqualTo(1);
    assertThat(r.alleleMismatch()).isEqualTo(1);
    assertThat(r.notInData()).isEqualTo(1);
    assertThat(r.reconciles()).isTrue();
    Map<String, Row> byPatient = new HashMap<>();
    lakehouse.read(SparkExtension.spark(), GenomicResultSchema.PRS).collectAsList().forEach(row -> byPatient.put(row.getAs("patient_key"), row));
    Row p1 = byPatient.get(KEYS.patientKey("p1"));
    Row p2 = byPatient.get(KEYS.patientKey("p2"));
    Row p3 = byPatient.get(KEYS.patientKey("p3"));
    assertThat(p1.<Double>getAs(GenomicResultSchema.SCORE)).isCloseTo(1.0 * 1 + 0.5 * 2 + 2.0 * 2, within(1e-9));
    assertThat(p1.<Integer>getAs(GenomicResultSchema.VARIANTS_FOUND)).isEqualTo(3);
    assertThat(p2.<Double>getAs(GenomicResultSchema.SCORE)).isCloseTo(1.0 * 2 + 2.0 * 1, within(1e-9)); // rs2 missing: not counted
    assertThat(p2.<Integer>getAs(GenomicResultSchema.VARIANTS_FOUND)).isEqualTo(2);
    assertThat(p3.isNullAt(p3.fieldIndex(GenomicResultSchema.SCORE))).isTrue(); // nothing called: null, not 0
    assertThat(p3.<Integer>getAs(GenomicResultSchema.VARIANTS_TOTAL)).isEqualTo(6);
    assertThat(p1.<java.sql.Timestamp>getAs(GenomicResultSchema.RESULT_TIME).toLocalDateTime().toLocalDate()).isEqualTo(LocalDate.of(2023, 1, 1));

    // The same score again changes nothing.
    long version = lakehouse.version(SparkExtension.spark(), GenomicResultSchema.PRS).orElseThrow();
    new PolygenicScores(SparkExtension.spark(), lakehouse, Progress.silent()).score(PgsScoreFile.read(file));
    assertThat(lakehouse.version(SparkExtension.spark(), GenomicResultSchema.PRS)).contains(version);
  }

  @Test
  void markersAreTestedNoCallOrNotTestedNeverReference() throws IOException {
    Lakehouse lakehouse = ingest();
    Path markers = dir.resolve("markers.csv");
    Files.writeString(markers, "gene,allele,rsid,chrom,position,ref,alt\nGENE1,*2,rs1,chr1,100,A,G\nGENE2,*3,rs2,1,200,C,T\n"
        + "GENE3,*4,rs9,chr9,999,G,A\n");
    PgxMarkers.PgxResult r = new PgxMarkers(SparkExtension.spark(), lakehouse).compute(PgxMarkers.load(markers));
    assertThat(r.byMarker().get("GENE1 rs1")).containsExactly(2, 1, 0);
    assertThat(r.byMarker().get("GENE2 rs2")).containsExactly(1, 2, 0);
    assertThat(r.byMarker().get("GENE3 rs9")).containsExactly(0, 0, 3);
    Map<String, Row> gene1 = new HashMap<>();
    for (Row row : lakehouse.read(SparkExtension.spark(), GenomicResultSchema.PGX_MARKER).where("marker = 'GENE1 rs1'").collectAsList()) {
      gene1.put(row.getAs(GenomicResultSchema.PATIENT_KEY), row);
    }
    assertThat(gene1.get(KEYS.patientKey("p1")).<Integer>getAs(GenomicResultSchema.ALT_COPIES)).isEqualTo(1);
    assertThat(gene1.get(KEYS.patientKey("p2")).<Integer>getAs(GenomicResultSchema.ALT_COPIES)).isEqualTo(2);
    Row p3 = gene1.get(KEYS.patientKey("p3"));
    assertThat((String) p3.getAs(GenomicResultSchema.STATUS)).isEqualTo(GenomicResultSchema.NO_CALL);
    assertThat(p3.isNullAt(p3.fieldIndex(GenomicResultSchema.ALT_COPIES))).isTrue();
    assertThat(lakehouse.read(SparkExtension.spark(), GenomicResultSchema.PGX_MARKER).where("status = 'not_tested' AND alt_copies IS NOT NULL")
        .count()).isZero();
  }

  @Test
  void badScoringAndMarkerFilesFailNamingTheLine() throws IOException {
    Path noWeights = dir.resolve("bad.txt");
    Files.writeString(noWeights, "#pgs_id=X\nrsID\tchr_name\teffect_allele\nrs1\t1\tA\n");
    assertThatThrownBy(() -> PgsScoreFile.read(noWeights)).isInstanceOf(CareLakeException.class).hasMessageContaining("bad.txt line 2")
        .hasMessageContaining("effect_weight");
    Path badWeight = dir.resolve("weight.txt");
    Files.writeString(badWeight, "rsID\tchr_name\tchr_position\teffect_allele\teffect_weight\nrs1\t1\t5\tA\tlots\n");
    assertThatThrownBy(() -> PgsScoreFile.read(badWeight)).isInstanceOf(CareLakeException.class).hasMessageContaining("weight.txt line 2");
    Path markers = dir.resolve("markers.csv");
    Files.writeString(markers, "gene,allele,rsid,chrom,position,ref,alt\nGENE1,*2,rs1,chr1,abc,A,G\n");
    assertThatThrownBy(() -> PgxMarkers.load(markers)).isInstanceOf(CareLakeException.class).hasMessageContaining("line 2");
  }

  @Test
  void theBuiltInMarkersAndTheGeneratorsCohortRoundTrip() {
    List<PgxMarkers.Marker> markers = PgxMarkers.load(null);
    assertThat(markers).extracting(PgxMarkers.Marker::name).contains("SLCO1B1 rs4149056", "CYP2C19 rs4244285", "VKORC1 rs9923231");
    List<GenomicGenerator.Subject> subjects = List.of(new GenomicGenerator.Subject("a", true), new GenomicGenerator.Subject("b", false),
        new GenomicGenerator.Subject("c", false));
    GenomicGenerator.Output out = GenomicGenerator.generate(subjects, LocalDate.of(2025, 1, 1), 7, 200, dir.resolve("gen"));
    Lakehouse lakehouse = new Lakehouse(dir.resolve("gen-lh"));
    VcfIngestResult r = new VcfIngestJob(SparkExtension.spark(), lakehouse, KEYS, Progress.silent()).execute(out.vcf(), out.samples(), false);
    assertThat(r.quarantined()).isZero();
    assertThat(r.records()).isEqualTo(out.sites());
    assertThat(r.callsWritten()).isEqualTo(out.genotypes());
    // chrX: male samples are haploid, the female diploid; chrM: haploid for all.
    List<Row> ploidy = lakehouse.read(SparkExtension.spark(), GenomicSchema.GENOTYPE).where("contig IN ('chrX', 'chrM')")
        .groupBy("contig", "patient_key").agg(org.apache.spark.sql.functions.max("ploidy")).collectAsList();
    for (Row row : ploidy) {
      boolean female = row.getString(1).equals(KEYS.patientKey("a"));
      assertThat(row.getInt(2)).isEqualTo(row.getString(0).equals("chrX") && female ? 2 : 1);
    }
    PolygenicScores.PrsResult score = new PolygenicScores(SparkExtension.spark(), lakehouse, Progress.silent()).score(PgsScoreFile.read(out.score()));
    assertThat(score.matched()).isEqualTo(GenomicGenerator.SCORE_VARIANTS * 9 / 10);
    assertThat(score.palindromic()).isEqualTo(GenomicGenerator.SCORE_VARIANTS / 10);
    // Same seed, same bytes: a re-run's ingest can skip the file.
    GenomicGenerator.Output again = GenomicGenerator.generate(subjects, LocalDate.of(2025, 1, 1), 7, 200, dir.resolve("gen2"));
    assertThat(sha(again.vcf())).isEqualTo(sha(out.vcf()));
  }

  private static String sha(Path file) {
    return org.carelake.core.IngestManifest.fingerprint(List.of(file), Progress.silent()).get(0).sha256();
  }
}
