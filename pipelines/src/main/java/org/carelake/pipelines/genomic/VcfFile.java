package org.carelake.pipelines.genomic;

import htsjdk.samtools.util.BlockCompressedInputStream;
import htsjdk.samtools.util.BlockCompressedStreamConstants;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.carelake.core.CareLakeException;
import org.carelake.pipelines.io.GzipSize;

/**
 * One VCF input as planned on the driver: its compression, header lines and the byte ranges
 * ({@link Split}s) its data lines are read in, so one large file is read by many tasks.
 *
 * <p>BGZF files (bgzip, {@code .vcf.gz} / {@code .bgz}) are split at block boundaries. With an
 * index beside the file (tabix {@code .tbi}, as {@code tabix -p vcf} or {@code bcftools index -t}
 * write it, else CSI {@code .csi}, as {@code bcftools index} does), the boundaries come from the
 * index: the blocks its entries point at, each checked to be a block header, and the file's
 * end-of-file block checked; the rest of the file is not touched on the driver. Without one (or
 * with an index that is older than the file, unreadable, pointing at something that is not a
 * block, or too sparse for the split size) every block header is walked (18 bytes each; the blocks
 * are not decompressed), which also proves the file is not truncated before any Spark job runs.
 * Plain text splits at any byte. A plain gzip file (not BGZF) cannot be entered mid-stream: it is read in
 * shares of its decompressed bytes (sized from the gzip trailer, at most {@code maxGzipShares}),
 * each task decompressing it from the start and skipping the lines before its share, so every task
 * also knows its lines' numbers.
 *
 * @param splitSource how the file was split, for the progress log (e.g. "tabix index")
 */
public record VcfFile(String path, String displayName, Compression compression, List<String> headerLines, long dataStart,
    List<Split> splits, String splitSource) implements Serializable {

  /** The indexes a bgzip VCF's splits can come from, in the order they are looked for beside it. */
  enum Index {
    TABIX(".tbi", "tabix"),
    /** {@code bcftools index} writes one by default. */
    CSI(".csi", "CSI");

    final String suffix;
    final String label;

    Index(String suffix, String label) {
      this.suffix = suffix;
      this.label = label;
    }

    Path of(Path file) {
      return file.resolveSibling(file.getFileName() + suffix);
    }
  }

  public enum Compression { PLAIN, BGZF, GZIP }

  /**
   * A range of a file: plain text, byte offsets; BGZF, block addresses. A split reads the lines
   * that start after {@code start} (at or after it for the first split) and at or before {@code end}.
   */
  public record Split(int fileIndex, long start, long end, boolean first, boolean last) implements Serializable {}

  /** Plans one file, reading its header; {@code splitBytes} is the target split size (compressed bytes). */
  public static VcfFile plan(Path file, String displayName, int fileIndex, long splitBytes) {
    return plan(file, displayName, fileIndex, splitBytes, 1);
  }

  /**
   * As above; a plain gzip file is read in up to {@code maxGzipShares} shares (each share's task
   * decompresses the file up to the end of its share, so more shares cost more decompression).
   */
  public static VcfFile plan(Path file, String displayName, int fileIndex, long splitBytes, int maxGzipShares) {
    Compression compression = compression(file);
    List<String> header = new ArrayList<>();
    long dataStart;
    try {
      if (compression == Compression.BGZF) {
        Index index = java.util.Arrays.stream(Index.values()).filter(i -> Files.isRegularFile(i.of(file))).findFirst().orElse(null);
        List<Long> blocks = null;
        String source = "bgzip blocks";
        if (index != null) {
          try {
            blocks = indexedBlocks(file, index, displayName, splitBytes);
            source = index.label + " index";
          } catch (IndexMismatch e) {
            source = "bgzip blocks (its " + index.label + " index " + e.getMessage() + ")";
          }
        }
        if (blocks == null) {
          blocks = bgzfBlocks(file, displayName);
        }
        try (BlockCompressedInputStream in = new BlockCompressedInputStream(file.toFile())) {
          dataStart = readHeader(new BgzfLines(in), header, displayName);
        }
        return new VcfFile(file.toString(), displayName, compression, header, dataStart, bgzfSplits(fileIndex, blocks, splitBytes),
            source);
      }
      try (InputStream raw = Files.newInputStream(file);
          InputStream in = compression == Compression.GZIP ? new GZIPInputStream(raw, 1 << 16) : raw) {
        dataStart = readHeader(new PlainLines(in, 0), header, displayName);
      }
      long size = Files.size(file);
      List<Split> splits = new ArrayList<>();
      if (compression == Compression.GZIP) {
        // Shares of the decompressed data, as many as the compressed size holds splits (at most maxGzipShares).
        int n = (int) Math.max(1, Math.min(maxGzipShares, size / Math.max(1, splitBytes)));
        long share = Math.max(1, (GzipSize.estimate(file) - dataStart + n - 1) / n);
        for (int i = 0; i < n; i++) {
          long s = dataStart + i * share;
          splits.add(new Split(fileIndex, s, i == n - 1 ? Long.MAX_VALUE : s + share, i == 0, i == n - 1));
        }
        return new VcfFile(file.toString(), displayName, compression, header, dataStart, splits, n == 1
            ? "one task (a small plain gzip)" : "shares of the decompressed plain gzip (each task decompresses from the start)");
      }
      String source = "byte ranges";
      if (size - dataStart <= splitBytes) {
        splits.add(new Split(fileIndex, dataStart, Long.MAX_VALUE, true, true));
      } else {
        for (long s = dataStart; s < size; s += splitBytes) {
          boolean last = s + splitBytes >= size;
          splits.add(new Split(fileIndex, s, last ? Long.MAX_VALUE : s + splitBytes, s == dataStart, last));
        }
      }
      return new VcfFile(file.toString(), displayName, compression, header, dataStart, splits, source);
    } catch (java.io.EOFException | java.util.zip.ZipException e) {
      throw CareLakeException.badInput(displayName + " is truncated or corrupt: " + e.getMessage() + ".",
          "copy the file again from its source; a complete gzip/bgzip file ends with its end-of-file block.");
    } catch (IOException e) {
      throw CareLakeException.badInput("Cannot read " + displayName + ": " + CareLakeException.reason(e) + ".", "check the file exists and is readable.");
    }
  }

  /** Samples named in the #CHROM line, in column order. */
  public List<String> sampleNames() {
    String[] columns = headerLines.get(headerLines.size() - 1).split("\t", -1);
    return columns.length <= 9 ? List.of() : List.of(columns).subList(9, columns.length);
  }

  static Compression compression(Path file) {
    byte[] magic = new byte[4];
    try (InputStream in = Files.newInputStream(file)) {
      int n = in.readNBytes(magic, 0, 4);
      if (n < 2 || (magic[0] & 0xff) != 0x1f || (magic[1] & 0xff) != 0x8b) {
        return Compression.PLAIN;
      }
      return n == 4 && (magic[3] & 0x04) != 0 && isBgzf(file) ? Compression.BGZF : Compression.GZIP;
    } catch (IOException e) {
      throw CareLakeException.badInput("Cannot read " + file.getFileName() + ": " + CareLakeException.reason(e) + ".", "check the file exists and is readable.");
    }
  }

  private static boolean isBgzf(Path file) throws IOException {
    try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
      return BlockCompressedInputStream.isValidFile(in);
    }
  }

  /**
   * Reads the header: {@code ##} lines and the {@code #CHROM} line, which must be there; returns the
   * position of the first data line.
   */
  private static long readHeader(Lines lines, List<String> header, String displayName) throws IOException {
    long position = lines.position();
    String line = lines.next();
    if (line == null || !line.startsWith("##fileformat=VCF")) {
      String seen = line == null ? "an empty file" : "'" + abbreviate(line, 40) + "'";
      throw CareLakeException.badInput(displayName + " line 1 is not a VCF header: expected ##fileformat=VCFv4.x, found " + seen + ".",
          "pass VCF files only (plain, .vcf.gz or .bgz); other files in the folder must be moved out.");
    }
    while (line != null && line.startsWith("##")) {
      header.add(line);
      position = lines.position();
      line = lines.next();
    }
    if (line == null || !line.startsWith("#CHROM")) {
      throw CareLakeException.badInput(displayName + " line " + (header.size() + 1) + ": the header has no #CHROM line"
          + (line == null ? " (the file ends in the header)" : ", found '" + abbreviate(line, 40) + "'") + ".",
          "each VCF needs the tab-separated #CHROM POS ID REF ALT QUAL FILTER INFO [FORMAT samples...] line before its records.");
    }
    header.add(line);
    return lines.position();
  }

  static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "...";
  }

  /** Every BGZF block's address; fails naming the byte where the file stops being valid BGZF. */
  static List<Long> bgzfBlocks(Path file, String displayName) throws IOException {
    List<Long> blocks = new ArrayList<>();
    byte[] header = new byte[BlockCompressedStreamConstants.BLOCK_HEADER_LENGTH];
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long size = in.length();
      long address = 0;
      int lastBlockSize = 0;
      while (address < size) {
        in.seek(address);
        int n = in.read(header);
        if (!isBlockHeader(header, n)) {
          throw CareLakeException.badInput(displayName + " is not valid bgzip (BGZF) at byte " + address
                  + (n < header.length ? ": the file ends inside a block header (truncated)" : "") + ".",
              "copy the file again; if it was compressed with plain gzip, re-compress it with bgzip so it can be read in parallel.");
        }
        int blockSize = ((header[16] & 0xff) | (header[17] & 0xff) << 8) + 1;
        if (address + blockSize > size) {
          throw CareLakeException.badInput(displayName + " is truncated: the bgzip block at byte " + address + " needs " + blockSize
              + " bytes, the file has " + (size - address) + " left.", "copy the file again from its source.");
        }
        blocks.add(address);
        lastBlockSize = blockSize;
        address += blockSize;
      }
      if (lastBlockSize != BlockCompressedStreamConstants.EMPTY_GZIP_BLOCK.length) {
        throw withoutEndOfFileBlock(displayName);
      }
    }
    return blocks;
  }

  private static CareLakeException withoutEndOfFileBlock(String displayName) {
    return CareLakeException.badInput(displayName + " is truncated: it does not end with the bgzip end-of-file block.",
        "copy the file again from its source (bgzip always writes the end-of-file block).");
  }

  /** Whether the {@code read} bytes read into {@code header} are a BGZF block header (gzip magic, the BC extra subfield). */
  private static boolean isBlockHeader(byte[] header, int read) {
    return read == header.length && (header[0] & 0xff) == 0x1f && (header[1] & 0xff) == 0x8b && header[12] == 'B' && header[13] == 'C';
  }

  /** Why a file's tabix or CSI index is not used (the blocks are walked instead). */
  private static final class IndexMismatch extends Exception {
    private static final long serialVersionUID = 1L;

    IndexMismatch(String message) {
      super(message);
    }
  }

  /**
   * Split start addresses from the file's tabix or CSI index, picked among the blocks its
   * entries point at ({@link #addBlocks}). Only the addresses a split will start at are checked
   * against the file (a BGZF block header must be there), plus the end-of-file block, so planning
   * reads a few hundred bytes instead of every block header.
   */
  static List<Long> indexedBlocks(Path file, Index index, String displayName, long splitBytes)
      throws IOException, IndexMismatch {
    Path path = index.of(file);
    // Whole seconds, as htslib compares them: a copy that writes both files within a second is not stale.
    if (Files.getLastModifiedTime(path).to(java.util.concurrent.TimeUnit.SECONDS)
        < Files.getLastModifiedTime(file).to(java.util.concurrent.TimeUnit.SECONDS)) {
      throw new IndexMismatch("is older than the file");
    }
    if (BlockCompressedInputStream.checkTermination(file) != BlockCompressedInputStream.FileTermination.HAS_TERMINATOR_BLOCK) {
      throw withoutEndOfFileBlock(displayName);
    }
    long size = Files.size(file);
    java.util.TreeSet<Long> candidates = new java.util.TreeSet<>();
    candidates.add(0L);
    try {
      if (index == Index.TABIX) {
        for (htsjdk.samtools.BinningIndexContent contig : new htsjdk.tribble.index.tabix.TabixIndex(path).getIndices()) {
          addBlocks(contig, candidates);
        }
      } else {
        try (htsjdk.samtools.CSIIndex csi = new htsjdk.samtools.CSIIndex(path, null)) {
          for (int contig = 0; contig < csi.getNumberOfReferences(); contig++) {
            addBlocks(csi.getQueryResults(contig), candidates);
          }
        }
      }
    } catch (IOException | RuntimeException e) { // htsjdk reports a foreign or broken index with unchecked exceptions
      throw new IndexMismatch("cannot be read: " + e.getMessage());
    }
    if (candidates.last() >= size) {
      throw new IndexMismatch("points past the end of the file");
    }
    // A sparse index (a small region has few 16 kb windows) may leave gaps far wider than a split; walking
    // the blocks can cut anywhere a block starts (at most 64 KB apart).
    long widest = size - candidates.last();
    long previous = 0;
    for (long address : candidates) {
      widest = Math.max(widest, address - previous);
      previous = address;
    }
    if (widest > Math.max(2 * splitBytes, BlockCompressedStreamConstants.MAX_COMPRESSED_BLOCK_SIZE)) {
      throw new IndexMismatch("has entries up to " + widest + " bytes apart, too few for splits of " + splitBytes + " bytes");
    }
    // Keep the addresses a split starts at, and check each is a block.
    List<Long> starts = new ArrayList<>();
    byte[] header = new byte[BlockCompressedStreamConstants.BLOCK_HEADER_LENGTH];
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long start = 0;
      starts.add(0L);
      for (long address : candidates) {
        if (address - start < splitBytes) {
          continue;
        }
        in.seek(address);
        if (!isBlockHeader(header, in.read(header))) {
          throw new IndexMismatch("does not match the file: no bgzip block at byte " + address);
        }
        starts.add(address);
        start = address;
      }
    }
    return starts;
  }

  /**
   * The blocks one contig's index entries point at: the linear index (tabix: the first record of
   * each 16 kb window), each bin's first record (CSI) and every chunk's start.
   */
  private static void addBlocks(htsjdk.samtools.BinningIndexContent contig, java.util.Set<Long> blocks) {
    if (contig == null) {
      return;
    }
    if (contig.getLinearIndex() != null) {
      for (long offset : contig.getLinearIndex().getIndexEntries()) {
        blocks.add(offset >>> 16);
      }
    }
    for (htsjdk.samtools.Bin bin : contig.getBins()) {
      if (bin instanceof htsjdk.samtools.BinWithOffset b) {
        blocks.add(b.getlOffset() >>> 16);
      }
    }
    for (htsjdk.samtools.Chunk chunk : contig.getAllChunks()) {
      blocks.add(chunk.getChunkStart() >>> 16);
    }
  }

  private static List<Split> bgzfSplits(int fileIndex, List<Long> blocks, long splitBytes) {
    List<Split> splits = new ArrayList<>();
    long start = 0;
    for (long block : blocks) {
      if (block - start >= splitBytes) {
        splits.add(new Split(fileIndex, start, block, start == 0, false));
        start = block;
      }
    }
    splits.add(new Split(fileIndex, start, Long.MAX_VALUE, start == 0, true));
    return splits;
  }

  /** Lines with the position each starts at. */
  interface Lines extends AutoCloseable {
    long position() throws IOException;

    /** The next line without its terminator, or null at the end. */
    String next() throws IOException;

    /** Passes over the next line without decoding it; false at the end. */
    default boolean skip() throws IOException {
      return next() != null;
    }
  }

  /** BGZF lines; positions are virtual offsets (block address << 16 | offset in block). */
  static final class BgzfLines implements Lines {
    private final BlockCompressedInputStream in;

    BgzfLines(BlockCompressedInputStream in) {
      this.in = in;
    }

    @Override
    public long position() {
      return in.getFilePointer();
    }

    @Override
    public String next() throws IOException {
      String line = in.readLine();
      return line == null ? null : stripCr(line);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Lines of a byte stream (plain, or gzip decompressed); positions are byte offsets in the stream. */
  static final class PlainLines implements Lines {
    private final InputStream in;
    private final byte[] buffer = new byte[1 << 16];
    private int length;
    private int index;
    private long offset;
    private byte[] line = new byte[1 << 12];
    private int lineLength;
    private boolean terminated;

    PlainLines(InputStream in, long startOffset) {
      this.in = in;
      this.offset = startOffset;
    }

    @Override
    public long position() {
      return offset;
    }

    @Override
    public boolean skip() throws IOException {
      return advance(false);
    }

    @Override
    public String next() throws IOException {
      if (!advance(true)) {
        return null;
      }
      int end = terminated && lineLength > 0 && line[lineLength - 1] == '\r' ? lineLength - 1 : lineLength;
      return new String(line, 0, end, StandardCharsets.UTF_8);
    }

    /**
     * Moves past the next line, copying its bytes into {@code line} when {@code keep}; false at the
     * end of the stream with no line left.
     */
    private boolean advance(boolean keep) throws IOException {
      lineLength = 0;
      terminated = false;
      boolean any = false;
      while (true) {
        if (index == length) {
          length = in.read(buffer);
          index = 0;
          if (length <= 0) {
            length = 0;
            return any;
          }
        }
        any = true;
        int start = index;
        while (index < length && buffer[index] != '\n') {
          index++;
        }
        int chunk = index - start;
        if (keep) {
          if (lineLength + chunk > line.length) {
            line = java.util.Arrays.copyOf(line, Math.max(line.length * 2, lineLength + chunk));
          }
          System.arraycopy(buffer, start, line, lineLength, chunk);
          lineLength += chunk;
        }
        offset += chunk;
        if (index < length) { // at '\n'
          index++;
          offset++;
          terminated = true;
          return true;
        }
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  private static String stripCr(String line) {
    return !line.isEmpty() && line.charAt(line.length() - 1) == '\r' ? line.substring(0, line.length() - 1) : line;
  }
}
