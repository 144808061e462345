package org.carelake.pipelines.io;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/**
 * The decompressed size of a gzip file as its trailer records it (ISIZE: the size modulo 4 GiB; a
 * concatenated gzip records only its last member's). Used only to size the shares a gzip file is
 * read in, so a wrong value costs balance, never data: when the trailer's size is smaller than the
 * file itself (a concatenated or wrapped size, or no trailer at all) the file's own size is used.
 */
public final class GzipSize {

  /** A gzip header and trailer alone take 18 bytes. */
  static final int MIN_GZIP_BYTES = 18;

  private GzipSize() {}

  /** @param trailer the file's last four bytes */
  public static long estimate(long length, byte[] trailer) {
    if (length < MIN_GZIP_BYTES) {
      return length;
    }
    long size = (trailer[0] & 0xFFL) | (trailer[1] & 0xFFL) << 8 | (trailer[2] & 0xFFL) << 16 | (trailer[3] & 0xFFL) << 24;
    return Math.max(size, length);
  }

  public static long estimate(Path file) throws IOException {
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      byte[] trailer = new byte[4];
      if (in.length() >= MIN_GZIP_BYTES) {
        in.seek(in.length() - 4);
        in.readFully(trailer);
      }
      return estimate(in.length(), trailer);
    }
  }
}
