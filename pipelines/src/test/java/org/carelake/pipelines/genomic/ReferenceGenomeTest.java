package org.carelake.pipelines.genomic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import htsjdk.samtools.reference.FastaReferenceWriter;
import htsjdk.samtools.reference.FastaReferenceWriterBuilder;
import htsjdk.samtools.util.GZIIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.carelake.core.CareLakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Left-alignment of indels against a FASTA written here with htsjdk (and its .fai). */
class ReferenceGenomeTest {

  /** Where {@code G CACACA G} starts in chr1 of {@link #reference}: far from the start, so the look-ups read a later window. */
  static final int MOTIF = 30_001;

  @TempDir Path dir;

  /** chr1: 40,000 seeded random bases with {@code GCACACAG} at {@link #MOTIF}; chr2: {@code AAAAAC} then random bases. */
  static Path reference(Path file) throws IOException {
    Random random = new Random(11);
    StringBuilder chr1 = new StringBuilder();
    for (int i = 0; i < 40_000; i++) {
      chr1.append("ACGT".charAt(random.nextInt(4)));
    }
    chr1.replace(MOTIF - 1, MOTIF - 1 + 8, "GCACACAG");
    StringBuilder chr2 = new StringBuilder("AAAAAC");
    for (int i = 0; i < 500; i++) {
      chr2.append("ACGT".charAt(random.nextInt(4)));
    }
    Map<String, String> sequences = new LinkedHashMap<>();
    sequences.put("chr1", chr1.toString());
    sequences.put("chr2", chr2.toString());
    Files.createDirectories(file.getParent());
    // A .gz name makes htsjdk write block-gzip (bgzip).
    try (FastaReferenceWriter w = new FastaReferenceWriterBuilder().setFastaFile(file).setMakeFaiOutput(true).setMakeDictOutput(false)
        .setMakeGziOutput(file.toString().endsWith(".gz")).build()) {
      for (Map.Entry<String, String> e : sequences.entrySet()) {
        w.startSequence(e.getKey()).appendBases(e.getValue());
      }
    }
    if (file.toString().endsWith(".gz")) {
      // The .gzi again, as `bgzip -r` builds it: htsjdk 4.2.0's writer emits a first-block entry its own reader rejects.
      Path gzi = GZIIndex.resolveIndexNameForBgzipFile(file);
      Files.delete(gzi);
      GZIIndex.buildIndex(file).writeIndex(gzi);
    }
    return file;
  }

  private static String[] aligned(ReferenceGenome ref, String contig, String refAllele, String alt, int position) {
    String[] trimmed = VcfRecordParser.trim(refAllele, alt, position);
    return ref.leftAlign(ref.contig(contig), trimmed[0], trimmed[1], Integer.parseInt(trimmed[2]));
  }

  @Test
  void indelsInARepeatMoveToTheirLeftmostPositionWhateverWayTheyWereWritten() throws IOException {
    try (ReferenceGenome ref = ReferenceGenome.open(reference(dir.resolve("ref/genome.fa")))) {
      assertThat(ref.contig("1")).as("VCF contig 1 is the FASTA's chr1").isEqualTo("chr1");
      assertThat(ref.contig("chr1")).isEqualTo("chr1");
      assertThat(ref.contig("9")).isNull();
      assertThat(ref.matches("chr1", MOTIF, "GCACACAG")).isTrue();
      assertThat(ref.matches("chr1", MOTIF, "GCACACAT")).isFalse();

      // A CA deletion written at the right end of the repeat, in its middle, and with extra shared bases.
      assertThat(aligned(ref, "1", "ACA", "A", MOTIF + 4)).containsExactly("GCA", "G", Integer.toString(MOTIF));
      assertThat(aligned(ref, "1", "ACA", "A", MOTIF + 2)).containsExactly("GCA", "G", Integer.toString(MOTIF));
      assertThat(aligned(ref, "1", "CACAG", "CAG", MOTIF + 3)).containsExactly("GCA", "G", Integer.toString(MOTIF));
      // A CA insertion after the repeat.
      assertThat(aligned(ref, "1", "A", "ACA", MOTIF + 6)).containsExactly("G", "GCA", Integer.toString(MOTIF));
      // Nothing to move: an SNV, and a deletion whose last base differs from the base before it.
      assertThat(aligned(ref, "1", "G", "T", MOTIF + 7)).containsExactly("G", "T", Integer.toString(MOTIF + 7));
      assertThat(aligned(ref, "1", "GCA", "G", MOTIF)).containsExactly("GCA", "G", Integer.toString(MOTIF));
      // A run at the start of the sequence: it moves to position 1 and no further.
      assertThat(aligned(ref, "chr2", "AA", "A", 4)).containsExactly("AA", "A", "1");
    }
  }

  @Test
  void aBgzipFastaWithItsIndexesIsReadTheSameWay() throws IOException {
    Path fasta = reference(dir.resolve("ref/genome.fa.gz"));
    assertThat(dir.resolve("ref/genome.fa.gz.gzi")).exists();
    try (ReferenceGenome ref = ReferenceGenome.open(fasta)) {
      assertThat(aligned(ref, "chr1", "ACA", "A", MOTIF + 4)).containsExactly("GCA", "G", Integer.toString(MOTIF));
      assertThat(aligned(ref, "2", "AA", "A", 4)).containsExactly("AA", "A", "1");
    }
  }

  @Test
  void aFastaWithoutIndexOrAMissingFileIsAClearError() throws IOException {
    Path fasta = reference(dir.resolve("ref/genome.fa"));
    Files.delete(dir.resolve("ref/genome.fa.fai"));
    assertThatThrownBy(() -> ReferenceGenome.check(fasta)).isInstanceOf(CareLakeException.class)
        .hasMessageContaining("genome.fa").hasMessageContaining("no index").hasMessageContaining("samtools faidx");
    assertThatThrownBy(() -> ReferenceGenome.check(dir.resolve("nope.fa"))).isInstanceOf(CareLakeException.class)
        .hasMessageContaining("nope.fa");
  }
}
