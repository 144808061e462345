package org.carelake.pipelines.genomic;

import htsjdk.samtools.SAMException;
import htsjdk.samtools.reference.FastaSequenceIndex;
import htsjdk.samtools.reference.FastaSequenceIndexEntry;
import htsjdk.samtools.reference.ReferenceSequenceFile;
import htsjdk.samtools.reference.ReferenceSequenceFileFactory;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.carelake.core.CareLakeException;

/**
 * An indexed reference FASTA (plain or bgzip, with its {@code .fai}; htsjdk reads it) and the
 * left-alignment of indels against it, as {@code bcftools norm} and {@code vt normalize} do
 * (Tan, Abecasis and Kang 2015): while REF and ALT end in the same base, drop it, and when an allele
 * becomes empty, prepend the reference base before the position; then trim shared leading bases,
 * keeping one. An indel in a repeat so moves to its leftmost position, and every way of writing it
 * becomes the same row.
 *
 * <p>Bases are read in windows, so the sorted records of a split cost few reads. One instance per
 * task: it is not thread-safe.
 */
final class ReferenceGenome implements Closeable {

  private static final int WINDOW = 1 << 14;

  private final ReferenceSequenceFile fasta;
  private final Map<String, String> names = new HashMap<>();
  private final Map<String, Integer> lengths = new HashMap<>();
  private String windowContig;
  private int windowStart; // 1-based position of window[0]
  private byte[] window = new byte[0];

  private ReferenceGenome(ReferenceSequenceFile fasta, FastaSequenceIndex index) {
    this.fasta = fasta;
    // Names and lengths from the .fai (a .dict is optional).
    for (FastaSequenceIndexEntry e : index) {
      lengths.put(e.getContig(), (int) Math.min(Integer.MAX_VALUE, e.getSize()));
    }
  }

  /** Checks on the driver that the FASTA can be read by position; fails naming the file and the fix. */
  static void check(Path path) {
    try (ReferenceGenome ignored = open(path)) {
      // opened and closed: readable, indexed
    }
  }

  static ReferenceGenome open(Path path) {
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      throw CareLakeException.badInput("Cannot read the reference FASTA " + path + ": no such file, or not readable.",
          "pass --reference the FASTA of the genome build the VCFs were called against (e.g. GRCh38), with its .fai index.");
    }
    try {
      ReferenceSequenceFile file = ReferenceSequenceFileFactory.getReferenceSequenceFile(path, true, true);
      if (!file.isIndexed()) {
        file.close();
        throw CareLakeException.badInput("The reference FASTA " + path + " has no index (" + path.getFileName() + ".fai).",
            "index it once with `samtools faidx " + path.getFileName() + "` (a bgzip FASTA also needs its .gzi).");
      }
      return new ReferenceGenome(file, new FastaSequenceIndex(ReferenceSequenceFileFactory.getFastaIndexFileName(path)));
    } catch (SAMException | IllegalArgumentException e) {
      throw CareLakeException.badInput("The reference FASTA " + path + " cannot be read: " + e.getMessage() + ".",
          "pass an uncompressed or bgzip FASTA with its .fai index (and .gzi when bgzip).");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The FASTA's name of a VCF contig: as written, or with the {@code chr} prefix added or removed; null when absent. */
  String contig(String vcfContig) {
    String name = names.computeIfAbsent(vcfContig, c -> {
      for (String candidate : candidates(c)) {
        if (lengths.containsKey(candidate)) {
          return candidate;
        }
      }
      return "";
    });
    return name.isEmpty() ? null : name;
  }

  private static String[] candidates(String c) {
    String bare = c.regionMatches(true, 0, "chr", 0, 3) ? c.substring(3) : c;
    if (bare.equalsIgnoreCase("M") || bare.equalsIgnoreCase("MT")) {
      return new String[] {c, "chrM", "MT", "chrMT", "M"};
    }
    return new String[] {c, bare, "chr" + bare};
  }

  /** The base at a 1-based position, upper case; 0 past either end of the sequence. */
  byte base(String contig, int position) {
    Integer length = lengths.get(contig);
    if (length == null || position < 1 || position > length) {
      return 0;
    }
    if (!contig.equals(windowContig) || position < windowStart || position >= windowStart + window.length) {
      int start = Math.max(1, position - 1024); // records are sorted: most later look-ups lie after this one
      int end = Math.min(length, start + WINDOW - 1);
      window = fasta.getSubsequenceAt(contig, start, end).getBases();
      windowContig = contig;
      windowStart = start;
    }
    return (byte) Character.toUpperCase(window[position - windowStart]);
  }

  /** Whether {@code ref} is what the FASTA holds at {@code position} (an N in either matches any base). */
  boolean matches(String contig, int position, String ref) {
    for (int i = 0; i < ref.length(); i++) {
      byte b = base(contig, position + i);
      char r = Character.toUpperCase(ref.charAt(i));
      if (b == 0 || (b != r && b != 'N' && r != 'N')) {
        return false;
      }
    }
    return true;
  }

  /**
   * Left-aligns one biallelic indel that {@link VcfRecordParser#trim} already trimmed: returns
   * {ref, alt, position}. SNVs, MNVs and complex changes come back as they are.
   */
  String[] leftAlign(String contig, String ref, String alt, int position) {
    if (ref.length() == alt.length()) {
      return new String[] {ref, alt, Integer.toString(position)};
    }
    StringBuilder r = new StringBuilder(ref.toUpperCase(Locale.ROOT));
    StringBuilder a = new StringBuilder(alt.toUpperCase(Locale.ROOT));
    int pos = position;
    while (r.length() > 0 && a.length() > 0 && r.charAt(r.length() - 1) == a.charAt(a.length() - 1)) {
      if (r.length() == 1 || a.length() == 1) {
        // Dropping the last base empties an allele: it needs the reference base before the position.
        byte before = base(contig, pos - 1);
        if (before == 0 || before == 'N') {
          break; // the start of the sequence, or unknown bases: the current form is as far left as it goes
        }
        r.insert(0, (char) before);
        a.insert(0, (char) before);
        pos--;
      }
      r.setLength(r.length() - 1);
      a.setLength(a.length() - 1);
    }
    int start = 0;
    while (r.length() - start > 1 && a.length() - start > 1 && r.charAt(start) == a.charAt(start)) {
      start++;
    }
    return new String[] {r.substring(start), a.substring(start), Integer.toString(pos + start)};
  }

  @Override
  public void close() {
    try {
      fasta.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
