package org.carelake.pipelines.genomic;

import htsjdk.samtools.seekablestream.SeekableFileStream;
import htsjdk.samtools.util.BlockCompressedInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;
import org.carelake.pipelines.io.InputReadException;

/**
 * The data lines of one {@link VcfFile.Split}, each with the position it starts at. A split owns
 * the lines that start after its start and at or before its end (the first split of a file also
 * the line at its start), so consecutive splits read every line exactly once whatever the byte or
 * block a boundary falls on.
 */
final class VcfSplitReader implements Iterator<VcfSplitReader.Line>, AutoCloseable {

  /** A data line; {@code lineNumber} is known when one task reads the whole file, else -1. */
  record Line(long position, long lineNumber, String text) {}

  private final VcfFile file;
  private final VcfFile.Lines lines;
  private final long end;
  private long lineNumber;
  private long skipTo = -1;
  private Line next;
  private boolean done;

  VcfSplitReader(VcfFile file, VcfFile.Split split) {
    this.file = file;
    boolean bgzf = file.compression() == VcfFile.Compression.BGZF;
    long start = bgzf ? split.start() << 16 : split.start();
    this.end = split.last() ? Long.MAX_VALUE : (bgzf ? split.end() << 16 : split.end());
    boolean gzip = file.compression() == VcfFile.Compression.GZIP;
    // Line numbers are known when the task reads from the file's start: one split, or a plain gzip's share.
    this.lineNumber = gzip || split.first() && split.last() ? file.headerLines().size() : Long.MIN_VALUE;
    try {
      if (bgzf) {
        BlockCompressedInputStream in = new BlockCompressedInputStream(new SeekableFileStream(new File(file.path())));
        in.seek(Math.max(start, file.dataStart()));
        lines = new VcfFile.BgzfLines(in);
      } else if (gzip) {
        InputStream in = new GZIPInputStream(new FileInputStream(file.path()), 1 << 16);
        in.skipNBytes(file.dataStart());
        lines = new VcfFile.PlainLines(in, file.dataStart());
        skipTo = split.first() ? -1 : start; // passed over in hasNext(), where a read failure is reported as such
      } else {
        FileInputStream in = new FileInputStream(file.path());
        long from = Math.max(start, file.dataStart());
        in.getChannel().position(from);
        lines = new VcfFile.PlainLines(in, from);
      }
      if (!gzip && start >= file.dataStart() && !split.first()) {
        lines.next(); // the line under the boundary belongs to the split before
      }
    } catch (IOException e) {
      throw new InputReadException(file.displayName() + ": cannot read at position " + start + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean hasNext() {
    if (next != null) {
      return true;
    }
    if (done) {
      return false;
    }
    try {
      // A gzip share after the first passes over the lines that begin at or before its start (the
      // split before reads every line that begins at or before its end), counting them.
      while (skipTo >= 0 && lines.position() <= skipTo && lines.skip()) {
        lineNumber++;
      }
      skipTo = -1;
      while (true) {
        long position = lines.position();
        if (position > end) {
          break;
        }
        String text = lines.next();
        if (text == null) {
          break;
        }
        if (lineNumber != Long.MIN_VALUE) {
          lineNumber++;
        }
        if (text.isEmpty()) {
          continue; // a trailing empty line carries no record
        }
        next = new Line(position, lineNumber == Long.MIN_VALUE ? -1 : lineNumber, text);
        return true;
      }
    } catch (IOException | RuntimeException e) {
      throw new InputReadException(file.displayName() + " cannot be read past position " + safePosition() + " (" + e.getMessage()
          + "): the file is truncated or corrupt", e);
    }
    done = true;
    close();
    return false;
  }

  @Override
  public Line next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Line line = next;
    next = null;
    return line;
  }

  private long safePosition() {
    try {
      return lines.position();
    } catch (IOException e) {
      return -1;
    }
  }

  @Override
  public void close() {
    try {
      lines.close();
    } catch (Exception e) {
      throw new UncheckedIOException(new IOException(e));
    }
  }
}
