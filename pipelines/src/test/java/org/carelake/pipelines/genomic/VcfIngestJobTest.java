package org.carelake.pipelines.genomic;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import htsjdk.samtools.util.BlockCompressedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.Pseudonymizer;
import org.carelake.core.TableId;
import org.carelake.core.schema.GenomicSchema;
import org.carelake.core.testing.SparkExtension;
import org.carelake.core.testing.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** VCF ingestion on files written here: typing, splitting of sites and of files, bad records, re-runs. */
@ExtendWith(SparkExtension.class)
class VcfIngestJobTest {

  private static final Pseudonymizer KEYS = TestKeys.pseudonymizer();

  static final String HEADER = String.join("\n",
      "##fileformat=VCFv4.2",
      "##contig=<ID=1,length=249250621>",
      "##contig=<ID=X,length=155270560>",
      "##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">",
      "##INFO=<ID=AF,Number=A,Type=Float,Description=\"Allele frequency\">",
      "##INFO=<ID=AC,Number=A,Type=Integer,Description=\"Allele count\">",
      "##INFO=<ID=DB,Number=0,Type=Flag,Description=\"dbSNP\">",
      "##FILTER=<ID=q10,Description=\"Quality below 10\">",
      "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">",
      "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">",
      "##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"Genotype quality\">",
      "##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"Allele depths\">");

  @TempDir Path dir;

  private VcfIngestJob job(Lakehouse lakehouse) {
    return new VcfIngestJob(SparkExtension.spark(), lakehouse, KEYS, Progress.silent());
  }

  static Path write(Path file, String... lines) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  static Path bgzip(Path plain, Path out) throws IOException {
    Files.createDirectories(out.getParent());
    try (OutputStream o = new BlockCompressedOutputStream(out.toFile())) {
      o.write(Files.readAllBytes(plain));
    }
    return out;
  }

  private Path samples(String... rows) throws IOException {
    Path file = dir.resolve("samples-" + Arrays.hashCode(rows) + ".csv");
    Files.writeString(file, "sample_id,patient_id,result_date\n" + String.join("\n", rows) + "\n");
    return file;
  }

  private static String tab(String... cells) {
    return String.join("\t", cells);
  }

  private static Map<String, Row> genotypes(Lakehouse lakehouse, String sample) {
    return lakehouse.read(SparkExtension.spark(), GenomicSchema.GENOTYPE)
        .where(col(GenomicSchema.SAMPLE_KEY).equalTo(KEYS.resourceKey("Sample", sample))).collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getAs(GenomicSchema.VARIANT_KEY), r -> r));
  }

  @Test
  void recordsBecomeTypedBiallelicRowsWithEveryCallKeptAndBadRecordsQuarantined() throws IOException {
    Path vcf = write(dir.resolve("in/batch1.vcf"), HEADER,
        tab("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", "S1", "S2", "S3"),
        tab("1", "100", "rs1", "A", "G", "50", "PASS", "DP=10;AF=0.25;AC=1;DB", "GT:DP:GQ:AD", "0/1:10:30:5,5", "./.:.:.:.", "1|1:8:20:0,8"),
        tab("1", "200", ".", "CTT", "C,CT", "30", "q10", "DP=5;AF=0.1,0.2;AC=1,1", "GT:DP:GQ:AD", "1/2:5:10:1,2,2", "0/0:4:12:4,0,0",
            "0/1:3:9:2,1,0"),
        tab("X", "300", ".", "G", "A", "20", ".", "DP=3;AF=0.5;AC=1", "GT", "1", "0", "."),
        tab("1", "abc", ".", "A", "G", "20", "PASS", "DP=3", "GT", "0/1", "0/0", "0/0"),
        tab("1", "400", ".", "A", "G", "20", "PASS", "DP=3", "GT", "0/1", "0/0"),
        tab("1", "500", ".", "A", "G", "20", "PASS", "DP=abc", "GT", "0/1", "0/0", "0/0"),
        tab("7", "600", ".", "T", "C", "20", "PASS", "DP=3;FOO=bar", "GT", "0|1", "1|0", "0|0"));
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    VcfIngestResult r = job(lakehouse).execute(vcf.getParent(), samples("S1,p1,2023-05-01", "S2,p2,2023-06-01"), false);

    assertThat(r.records()).isEqualTo(7);
    assertThat(r.quarantined()).isEqualTo(3);
    assertThat(r.quarantinedByReason()).containsEntry("MALFORMED_RECORD", 1L).containsEntry("SAMPLE_COLUMNS", 1L)
        .containsEntry("INFO_TYPE", 1L);
    assertThat(r.variantRows()).isEqualTo(5); // 1 + 2 (split) + 1 + 1
    assertThat(r.calls()).isEqualTo(15);
    assertThat(r.callsWritten()).isEqualTo(10);
    assertThat(r.callsOfUnmappedSamples()).isEqualTo(5);
    assertThat(r.unmappedSamples()).containsExactly("S3");
    assertThat(r.reconciles()).isTrue();
    assertThat(r.warnings()).containsKeys("contig not declared in the header: 7", "INFO key not declared in the header: FOO");

    Map<String, Row> variants = lakehouse.read(SparkExtension.spark(), GenomicSchema.VARIANT).collectAsList().stream()
        .collect(Collectors.toMap(v -> v.getAs(GenomicSchema.VARIANT_KEY), v -> v));
    assertThat(variants).containsOnlyKeys("1:100:A:G", "1:200:CTT:C", "1:200:CT:C", "X:300:G:A", "7:600:T:C");
    Row snv = variants.get("1:100:A:G");
    assertThat((String) snv.getAs(GenomicSchema.RSID)).isEqualTo("rs1");
    assertThat(snv.<Double>getAs(GenomicSchema.QUAL)).isEqualTo(50.0);
    assertThat(snv.getList(snv.fieldIndex(GenomicSchema.FILTERS))).containsExactly("PASS");
    assertThat(snv.getJavaMap(snv.fieldIndex(GenomicSchema.INFO_INT))).containsEntry("DP", seq(10L)).containsEntry("AC", seq(1L));
    assertThat(snv.getList(snv.fieldIndex(GenomicSchema.INFO_FLAG))).containsExactly("DB");
    Row second = variants.get("1:200:CT:C");
    assertThat(second.<Integer>getAs(GenomicSchema.ALLELE_INDEX)).isEqualTo(2);
    assertThat((String) second.getAs(GenomicSchema.ORIGINAL_ALTS)).isEqualTo("C,CT");
    assertThat(second.getJavaMap(second.fieldIndex(GenomicSchema.INFO_FLOAT))).containsEntry("AF", seq(0.2));
    assertThat(second.getList(second.fieldIndex(GenomicSchema.FILTERS))).containsExactly("q10");
    assertThat(variants.get("X:300:G:A").isNullAt(variants.get("X:300:G:A").fieldIndex(GenomicSchema.FILTERS))).isTrue();
    Row undeclared = variants.get("7:600:T:C");
    assertThat(undeclared.getJavaMap(undeclared.fieldIndex(GenomicSchema.INFO_STRING))).containsEntry("FOO", seq("bar"));

    Map<String, Row> s1 = genotypes(lakehouse, "S1");
    Map<String, Row> s2 = genotypes(lakehouse, "S2");
    assertThat(s1).hasSize(5);
    assertThat(s1.get("1:100:A:G").getList(s1.get("1:100:A:G").fieldIndex(GenomicSchema.ALLELES))).containsExactly(0, 1);
    assertThat(s1.get("1:100:A:G").<Integer>getAs(GenomicSchema.ALT_DOSAGE)).isEqualTo(1);
    assertThat(s1.get("1:100:A:G").<Integer>getAs(GenomicSchema.GQ)).isEqualTo(30);
    assertThat(s1.get("1:100:A:G").getList(s1.get("1:100:A:G").fieldIndex(GenomicSchema.AD))).containsExactly(5, 5);
    // 1/2 at a split site: the original indices on both rows, one copy of each ALT, AD of REF and that ALT.
    assertThat(s1.get("1:200:CT:C").getList(s1.get("1:200:CT:C").fieldIndex(GenomicSchema.ALLELES))).containsExactly(1, 2);
    assertThat(s1.get("1:200:CT:C").<Integer>getAs(GenomicSchema.ALT_DOSAGE)).isEqualTo(1);
    assertThat(s1.get("1:200:CT:C").getList(s1.get("1:200:CT:C").fieldIndex(GenomicSchema.AD))).containsExactly(1, 2);
    assertThat(s1.get("1:200:CTT:C").<Integer>getAs(GenomicSchema.ALT_DOSAGE)).isEqualTo(1);
    // A missing call stays missing: null alleles and dosage, never 0.
    Row missing = s2.get("1:100:A:G");
    assertThat(missing.getList(missing.fieldIndex(GenomicSchema.ALLELES))).containsExactly(null, null);
    assertThat(missing.isNullAt(missing.fieldIndex(GenomicSchema.ALT_DOSAGE))).isTrue();
    // Haploid chrX calls keep ploidy 1.
    assertThat(s1.get("X:300:G:A").<Integer>getAs(GenomicSchema.PLOIDY)).isEqualTo(1);
    assertThat(s1.get("X:300:G:A").<Integer>getAs(GenomicSchema.ALT_DOSAGE)).isEqualTo(1);
    assertThat(s2.get("X:300:G:A").<Integer>getAs(GenomicSchema.ALT_DOSAGE)).isEqualTo(0);
    assertThat(s1.get("7:600:T:C").<Boolean>getAs(GenomicSchema.PHASED)).isTrue();
    // No raw sample id in silver.
    assertThat(lakehouse.read(SparkExtension.spark(), GenomicSchema.GENOTYPE).where(col(GenomicSchema.SAMPLE_KEY).isin("S1", "S2")).count())
        .isZero();

    List<Row> quarantine = lakehouse.read(SparkExtension.spark(), GenomicSchema.QUARANTINE).orderBy(GenomicSchema.LINE_NUMBER).collectAsList();
    assertThat(quarantine).extracting(q -> q.<Long>getAs(GenomicSchema.LINE_NUMBER)).containsExactly(17L, 18L, 19L); // 13 header lines, 3 good records
    assertThat(quarantine).extracting(q -> (String) q.getAs(GenomicSchema.REASON_CODE))
        .containsExactly("MALFORMED_RECORD", "SAMPLE_COLUMNS", "INFO_TYPE");
    assertThat((String) quarantine.get(1).getAs(GenomicSchema.REASON)).contains("2 sample columns").contains("names 3");
    assertThat((String) quarantine.get(2).getAs(GenomicSchema.REASON)).contains("DP").contains("Integer");
    assertThat(quarantine).allSatisfy(q -> assertThat((String) q.getAs(GenomicSchema.SOURCE_FILE)).isEqualTo("batch1.vcf"));

    List<Row> sampleRows = lakehouse.read(SparkExtension.spark(), GenomicSchema.SAMPLE).collectAsList();
    assertThat(sampleRows).extracting(s -> (String) s.getAs(GenomicSchema.PATIENT_KEY))
        .containsExactlyInAnyOrder(KEYS.patientKey("p1"), KEYS.patientKey("p2"));
  }

  @Test
  void withAReferenceFastaIndelsAreLeftAlignedSoEveryWayOfWritingOneIsOneVariant() throws IOException {
    Path fasta = ReferenceGenomeTest.reference(dir.resolve("ref/genome.fa"));
    int m = ReferenceGenomeTest.MOTIF; // chr1 holds G CACACA G here; the VCF calls the contig 1
    Path vcf = write(dir.resolve("in/indels.vcf"), HEADER,
        tab("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", "S1", "S2"),
        tab("1", Integer.toString(m + 2), ".", "ACA", "A", "50", "PASS", "DP=5", "GT", "0/1", "0/0"),
        tab("1", Integer.toString(m + 4), ".", "ACA", "A", "50", "PASS", "DP=5", "GT", "1/1", "0/0"),
        tab("1", Integer.toString(m + 6), ".", "A", "ACA,G", "50", "PASS", "DP=5", "GT", "0/1", "0/2"),
        tab("1", Integer.toString(m + 7), ".", "C", "CA", "50", "PASS", "DP=5", "GT", "0/1", "0/0"),
        tab("X", "300", ".", "GT", "G", "50", "PASS", "DP=5", "GT", "1", "0"));
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    Path samples = samples("S1,p1,2023-05-01", "S2,p2,2023-06-01");
    VcfIngestResult r = job(lakehouse).reference(fasta).execute(vcf, samples, false);

    String deletion = "1:" + m + ":GCA:G";
    String insertion = "1:" + m + ":G:GCA";
    assertThat(r.reconciles()).isTrue();
    assertThat(r.duplicateVariants()).as("the CA deletion written twice is one variant").isEqualTo(1);
    Map<String, Row> variants = lakehouse.read(SparkExtension.spark(), GenomicSchema.VARIANT).collectAsList().stream()
        .collect(Collectors.toMap(v -> v.getAs(GenomicSchema.VARIANT_KEY), v -> v));
    // The SNV of the multi-allelic site stays; a REF that is not the FASTA's, or a contig it lacks, is only trimmed.
    assertThat(variants).containsOnlyKeys(deletion, insertion, "1:" + (m + 6) + ":A:G", "1:" + (m + 7) + ":C:CA", "X:300:GT:G");
    assertThat(variants.get(deletion).<Integer>getAs(GenomicSchema.ORIGINAL_POSITION)).as("the first record counts").isEqualTo(m + 2);
    assertThat(variants.get(insertion).<Integer>getAs(GenomicSchema.ORIGINAL_POSITION)).isEqualTo(m + 6);
    assertThat(variants.get(insertion).<Integer>getAs(GenomicSchema.ALLELE_INDEX)).isEqualTo(1);
    assertThat(r.warnings()).containsEntry("REF differs from the reference FASTA (another genome build?), indels not left-aligned", 1L)
        .containsEntry("contig not in the reference FASTA, indels not left-aligned: X", 1L);
    assertThat(genotypes(lakehouse, "S1").get(deletion).<Integer>getAs(GenomicSchema.ALT_DOSAGE)).isEqualTo(1);

    // The same file without the FASTA is read again (the reference changed) and only trimmed.
    VcfIngestResult trimmed = job(lakehouse).execute(vcf, samples, false);
    assertThat(trimmed.files()).as("a run without the reference re-reads the file").isEqualTo(1);
    assertThat(trimmed.duplicateVariants()).isZero();
    assertThat(lakehouse.read(SparkExtension.spark(), GenomicSchema.VARIANT).where(col(GenomicSchema.INGEST_RUN_ID).equalTo(trimmed.runId()))
        .collectAsList()).extracting(v -> (String) v.getAs(GenomicSchema.VARIANT_KEY))
        .contains("1:" + (m + 2) + ":ACA:A", "1:" + (m + 4) + ":ACA:A", "1:" + (m + 6) + ":A:ACA");
  }

  @Test
  void genotypesIngestedBeforeAnyEhrDataAreCommittedWithAWarningThatTheirPatientsAreUnknown() throws IOException {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    Path vcf = syntheticVcf(dir.resolve("in/a.vcf"), 20, 2, 5);
    org.carelake.pipelines.quality.StepChecks checks = org.carelake.pipelines.quality.StepChecks.of(null); // the built-in suites
    VcfIngestResult r = job(lakehouse).checks(checks).execute(vcf, samples("A0,pa,2024-01-01", "A1,pb,2024-01-01"), false);

    assertThat(lakehouse.exists(org.carelake.core.schema.PatientSchema.TABLE)).isFalse();
    assertThat(r.callsWritten()).isEqualTo(40);
    assertThat(lakehouse.read(SparkExtension.spark(), GenomicSchema.GENOTYPE).count()).isEqualTo(40);
    assertThat(checks.results()).flatExtracting(q -> q.tables()).filteredOn(t -> t.table().equals("silver.genotype")).singleElement()
        .satisfies(t -> {
          assertThat(t.verdict()).isEqualTo("WARN");
          assertThat(t.constraints()).filteredOn(c -> !c.passed()).extracting(c -> c.check()).containsOnly("[major] patients known to the EHR");
        });

    // gold.pgx_marker requires its patients in silver.patient: the step stops, saying which rule failed and what to do.
    org.carelake.core.CareLakeException gate = org.assertj.core.api.Assertions.catchThrowableOfType(() -> new PgxMarkers(
        SparkExtension.spark(), lakehouse).checks(checks).compute(PgxMarkers.load(null)), org.carelake.core.CareLakeException.class);
    assertThat(gate.kind()).isEqualTo(org.carelake.core.CareLakeException.Kind.GATE_FAILED);
    assertThat(gate.getMessage()).contains("gold.pgx_marker [critical] keys and patient references: every patient_key exists in silver.patient")
        .contains("ingest the EHR export that holds them (./carelake ingest fhir) first");
    assertThat(lakehouse.exists(org.carelake.core.schema.GenomicResultSchema.PGX_MARKER)).isFalse();
  }

  @Test
  void aFileReadByManyTasksGivesTheSameRowsAsOneTaskPlainAndBgzip() throws IOException {
    int records = 6000;
    Path plain = syntheticVcf(dir.resolve("many/cohort.vcf"), records, 4, 11);
    Path bgz = bgzip(plain, dir.resolve("bgz/cohort.vcf.gz"));
    Path samples = samples("A0,pa,2024-01-01", "A1,pb,2024-01-01", "A2,pc,2024-01-01", "A3,pd,2024-01-01");
    VcfFile planned = VcfFile.plan(bgz, "cohort.vcf.gz", 0, 1);
    assertThat(planned.compression()).isEqualTo(VcfFile.Compression.BGZF);
    assertThat(planned.splits()).hasSizeGreaterThan(3);

    Set<String> one = callSet(new Lakehouse(dir.resolve("one")), plain, samples, Long.MAX_VALUE / 4, records);
    Set<String> plainSplits = callSet(new Lakehouse(dir.resolve("plain")), plain, samples, 7919, records);
    Set<String> blockSplits = callSet(new Lakehouse(dir.resolve("blocks")), bgz, samples, 1, records);
    assertThat(one).hasSize(records * 4);
    assertThat(plainSplits).isEqualTo(one);
    assertThat(blockSplits).isEqualTo(one);
  }

  @Test
  void aPlainGzipFileIsReadInSharesWithTheRowsAndLineNumbersOfOneTask() throws IOException {
    int records = 6000;
    Path plain = syntheticVcf(dir.resolve("gz-src/cohort.vcf"), records, 4, 13);
    Path samples = samples("A0,pa,2024-01-01", "A1,pb,2024-01-01", "A2,pc,2024-01-01", "A3,pd,2024-01-01");
    Path gz = Files.createDirectories(dir.resolve("gz")).resolve("cohort.vcf.gz");
    try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
      Files.copy(plain, out);
    }
    VcfFile planned = VcfFile.plan(gz, "cohort.vcf.gz", 0, 4096, 4);
    assertThat(planned.compression()).isEqualTo(VcfFile.Compression.GZIP);
    assertThat(planned.splits()).hasSize(4);
    assertThat(planned.splitSource()).startsWith("shares of the decompressed plain gzip");
    assertThat(VcfFile.plan(gz, "cohort.vcf.gz", 0, 4096, 1).splits()).hasSize(1);

    Set<String> one = callSet(new Lakehouse(dir.resolve("gz-one")), plain, samples, Long.MAX_VALUE / 4, records);
    assertThat(callSet(new Lakehouse(dir.resolve("gz-shares")), gz, samples, 4096, records)).isEqualTo(one);

    // A malformed line near the end, in the last share: quarantined with its line number, as one task would give it.
    List<String> lines = new ArrayList<>(Files.readAllLines(plain));
    int bad = lines.size() - 3; // 0-based index
    lines.set(bad, lines.get(bad).replace("\t", " "));
    Path broken = Files.createDirectories(dir.resolve("gz-bad")).resolve("cohort.vcf.gz");
    try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(broken))) {
      out.write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    Lakehouse lakehouse = new Lakehouse(dir.resolve("gz-bad-lh"));
    VcfIngestResult r = new VcfIngestJob(SparkExtension.spark(), lakehouse, KEYS, Progress.silent()).splitBytes(4096)
        .execute(broken, samples, false);
    assertThat(r.quarantined()).isEqualTo(1);
    assertThat(r.reconciles()).isTrue();
    assertThat(lakehouse.read(SparkExtension.spark(), GenomicSchema.QUARANTINE).head().<Long>getAs(GenomicSchema.LINE_NUMBER))
        .isEqualTo(bad + 1L);
  }

  @Test
  void aTabixIndexBesideTheFileGivesTheSplitsAndAStaleOrForeignIndexIsNotTrusted() throws IOException {
    int records = 6000;
    // 20 kb apart: about one record per 16 kb window of the index, so it has entries all along the file.
    Path plain = syntheticVcf(dir.resolve("tbx/cohort.vcf"), records, 4, 11, 20_000);
    Path bgz = bgzip(plain, dir.resolve("tbx/cohort.vcf.gz"));
    Path tbi = dir.resolve("tbx/cohort.vcf.gz.tbi");
    htsjdk.tribble.index.tabix.TabixIndex index = htsjdk.tribble.index.IndexFactory.createTabixIndex(bgz.toFile(),
        new htsjdk.variant.vcf.VCFCodec(), htsjdk.tribble.index.tabix.TabixFormat.VCF, null);
    index.write(tbi);
    Set<Long> indexed = new HashSet<>(); // every block the index names: linear index entries and chunk starts
    for (long offset : index.getIndices()[0].getLinearIndex().getIndexEntries()) {
      indexed.add(offset >>> 16);
    }
    index.getIndices()[0].getAllChunks().forEach(c -> indexed.add(c.getChunkStart() >>> 16));
    long splitBytes = 4096;

    VcfFile planned = VcfFile.plan(bgz, "cohort.vcf.gz", 0, splitBytes);
    assertThat(planned.splitSource()).isEqualTo("tabix index");
    assertThat(planned.splits()).hasSizeGreaterThan(3);
    assertThat(planned.splits()).allSatisfy(s -> assertThat(s.start() == 0 || indexed.contains(s.start())).as("split at " + s.start()).isTrue());
    Path samples = samples("A0,pa,2024-01-01", "A1,pb,2024-01-01", "A2,pc,2024-01-01", "A3,pd,2024-01-01");
    Set<String> one = callSet(new Lakehouse(dir.resolve("tbx-one")), plain, samples, Long.MAX_VALUE / 4, records);
    assertThat(callSet(new Lakehouse(dir.resolve("tbx-split")), bgz, samples, splitBytes, records)).hasSize(records * 4).isEqualTo(one);

    // An index older than the file (the file was rewritten after indexing): the blocks are walked instead.
    Files.setLastModifiedTime(tbi, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(bgz).toMillis() - 60_000));
    VcfFile stale = VcfFile.plan(bgz, "cohort.vcf.gz", 0, splitBytes);
    assertThat(stale.splitSource()).isEqualTo("bgzip blocks (its tabix index is older than the file)");
    assertThat(stale.splits()).hasSizeGreaterThan(3);
    // Something else under the index's name: not trusted either.
    Files.write(tbi, new byte[] {1, 2, 3, 4});
    assertThat(VcfFile.plan(bgz, "cohort.vcf.gz", 0, splitBytes).splitSource()).startsWith("bgzip blocks (its tabix index cannot be read");
    // A file cut short beside its index: refused before any task runs, naming the file.
    Path truncated = dir.resolve("tbx/cut.vcf.gz");
    byte[] bytes = Files.readAllBytes(bgz);
    Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
    index.write(dir.resolve("tbx/cut.vcf.gz.tbi"));
    assertThatThrownBy(() -> VcfFile.plan(truncated, "cut.vcf.gz", 0, splitBytes)).isInstanceOf(CareLakeException.class)
        .hasMessageContaining("cut.vcf.gz is truncated");
  }

  @Test
  void reRunsAreIdempotentANewerFileReplacesASamplesCallsAndBrokenFilesCommitNothing() throws IOException {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    Path samples = samples("A0,pa,2024-01-01", "A1,pb,2024-01-01", "A2,pc,2024-01-01", "A3,pd,2024-01-01");
    Path first = syntheticVcf(dir.resolve("in/a.vcf"), 300, 4, 1);
    job(lakehouse).execute(first.getParent(), samples, false);
    long genotypeVersion = lakehouse.version(SparkExtension.spark(), GenomicSchema.GENOTYPE).orElseThrow();
    long variantVersion = lakehouse.version(SparkExtension.spark(), GenomicSchema.VARIANT).orElseThrow();

    VcfIngestResult again = job(lakehouse).execute(first.getParent(), samples, false);
    assertThat(again.files()).isZero();
    assertThat(again.skippedFiles()).isEqualTo(1);
    assertThat(lakehouse.version(SparkExtension.spark(), GenomicSchema.GENOTYPE)).contains(genotypeVersion);
    VcfIngestResult forced = job(lakehouse).execute(first.getParent(), samples, true);
    assertThat(forced.variantsUnchanged()).isEqualTo(300);
    assertThat(lakehouse.version(SparkExtension.spark(), GenomicSchema.VARIANT)).contains(variantVersion);
    assertThat(lakehouse.read(SparkExtension.spark(), GenomicSchema.GENOTYPE).count()).isEqualTo(1200);

    // A newer file for sample A1 only (resequenced): A1's calls are replaced, the others stay.
    Path newer = write(dir.resolve("in2/a1-resequenced.vcf"), HEADER,
        tab("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", "A1"),
        tab("1", "5", "rs900", "C", "T", "60", "PASS", "DP=9", "GT", "0/1"));
    VcfIngestResult replaced = job(lakehouse).execute(newer, samples, false);
    assertThat(replaced.reconciles()).isTrue();
    assertThat(genotypes(lakehouse, "A1")).containsOnlyKeys("1:5:C:T");
    assertThat(genotypes(lakehouse, "A0")).hasSize(300);
    assertThat(lakehouse.read(SparkExtension.spark(), GenomicSchema.GENOTYPE).count()).isEqualTo(901);

    // A truncated bgzip file and a non-VCF file: clear errors naming the file; nothing committed.
    Map<TableId, Long> before = versions(lakehouse);
    Path bgz = bgzip(syntheticVcf(dir.resolve("tmp/b.vcf"), 3000, 4, 2), dir.resolve("bad/b.vcf.gz"));
    byte[] bytes = Files.readAllBytes(bgz);
    Path truncated = dir.resolve("bad/truncated.vcf.gz");
    Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
    assertThatThrownBy(() -> job(lakehouse).execute(truncated, samples, false)).isInstanceOf(CareLakeException.class)
        .hasMessageContaining("truncated.vcf.gz").hasMessageContaining("truncated");
    Path notVcf = write(dir.resolve("bad/notes.vcf"), "patient list", "nothing here");
    assertThatThrownBy(() -> job(lakehouse).execute(notVcf, samples, false)).isInstanceOf(CareLakeException.class)
        .hasMessageContaining("notes.vcf line 1").hasMessageContaining("##fileformat");
    assertThat(versions(lakehouse)).isEqualTo(before);
  }

  private static Map<TableId, Long> versions(Lakehouse lakehouse) {
    Map<TableId, Long> out = new java.util.HashMap<>();
    for (TableId t : List.of(GenomicSchema.VARIANT, GenomicSchema.GENOTYPE, GenomicSchema.SAMPLE)) {
      out.put(t, lakehouse.version(SparkExtension.spark(), t).orElse(-1L));
    }
    return out;
  }

  private static Set<String> callSet(Lakehouse lakehouse, Path vcf, Path samples, long splitBytes, int records) {
    VcfIngestResult r = new VcfIngestJob(SparkExtension.spark(), lakehouse, KEYS, Progress.silent()).splitBytes(splitBytes)
        .execute(vcf, samples, false);
    assertThat(r.records()).isEqualTo(records);
    assertThat(r.reconciles()).isTrue();
    return new HashSet<>(lakehouse.read(SparkExtension.spark(), GenomicSchema.GENOTYPE)
        .drop(GenomicSchema.SOURCE_FILE, GenomicSchema.INGEST_RUN_ID).collectAsList().stream().map(Row::toString).toList());
  }

  /** A multi-sample VCF with seeded genotypes (0/0, 0/1, 1/1, ./.), one SNV per record, every 7 bases. */
  static Path syntheticVcf(Path file, int records, int samples, long seed) throws IOException {
    return syntheticVcf(file, records, samples, seed, 7);
  }

  /** As above, records {@code spacing} bases apart on contig 1. */
  static Path syntheticVcf(Path file, int records, int samples, long seed, int spacing) throws IOException {
    Random random = new Random(seed);
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    List<String> header = new ArrayList<>(List.of("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"));
    for (int s = 0; s < samples; s++) {
      header.add("A" + s);
    }
    sb.append(String.join("\t", header)).append('\n');
    String[] bases = {"A", "C", "G", "T"};
    String[] calls = {"0/0", "0/1", "1/1", "./.", "0|1"};
    for (int i = 0; i < records; i++) {
      int b = random.nextInt(4);
      sb.append("1\t").append(1000 + i * spacing).append("\trs").append(i).append('\t').append(bases[b]).append('\t').append(bases[(b + 1) % 4])
          .append("\t50\tPASS\tDP=").append(random.nextInt(100)).append(";AF=0.").append(random.nextInt(9) + 1).append("\tGT:DP");
      for (int s = 0; s < samples; s++) {
        sb.append('\t').append(calls[random.nextInt(calls.length)]).append(':').append(random.nextInt(60));
      }
      sb.append('\n');
    }
    Files.createDirectories(file.getParent());
    Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    return file;
  }

  @SafeVarargs
  private static <T> scala.collection.Seq<T> seq(T... values) {
    return scala.collection.JavaConverters.asScalaBuffer(Arrays.asList(values)).toSeq();
  }
}
