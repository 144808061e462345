package org.carelake.pipelines.io;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.io.compress.GzipCodec;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.JobContext;
import org.apache.hadoop.mapreduce.RecordReader;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.LineRecordReader;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Hadoop's {@link TextInputFormat} for files of one record per line (NDJSON, CSV), with three
 * additions: a gzip file is read by several tasks, splits come largest first (so a job ends on its
 * small ones), and a file that cannot be read fails with {@link InputReadException} naming it.
 *
 * <p>Gzip cannot be entered mid-stream, so each of a gzip file's splits decompresses it from the
 * start and keeps the lines that begin in its share of the decompressed bytes (the split's start
 * and length are decompressed offsets). Every task sees the same decompressed stream, so each line
 * goes to exactly one split and its position is its decompressed byte offset, as when one task
 * reads the whole file. The shares are sized from the size the gzip trailer records (modulo 4 GiB;
 * a concatenated gzip records only its last member's), and the last split reads to the end of the
 * data, so a wrong size only makes the splits uneven, never loses or repeats a line. The price is
 * decompression: n splits decompress the file about (n + 1) / 2 times in all, which is why n is
 * capped ({@link #MAX_GZIP_SPLITS}). Measured on a 150 MB FHIR Observation file (21 MB gzip), one
 * pass over the lines before a share costs about 0.7 s of CPU, against about 5.8 s for reading and
 * parsing the whole file in one task.
 */
public final class LineInputFormat extends TextInputFormat {

  /** Configuration key: the most splits of one gzip file (default 1: one task per gzip file). */
  public static final String MAX_GZIP_SPLITS = "carelake.lines.gzip.max-splits";

  /** Configuration key: the decompressed bytes one split of a gzip file should hold at least. */
  public static final String GZIP_SPLIT_BYTES = "carelake.lines.gzip.split-bytes";

  /**
   * Hadoop's comma-separated list of input files (each escaped, so commas in names survive), in the
   * given order; for {@link #read} and Spark's {@code binaryFiles}.
   */
  public static String inputList(java.util.Collection<String> paths) {
    return String.join(",", paths.stream().map(org.apache.hadoop.util.StringUtils::escapeString).toList());
  }

  /**
   * The lines of {@code inputDir} ({@link #inputList} of the files), as (byte offset, line)
   * pairs: a plain file in splits of {@code splitBytes}, a gzip file in up to Spark's default
   * parallelism shares of at least {@code splitBytes} decompressed bytes (each share costs another
   * partial decompression, so no more than that).
   */
  public static JavaNewHadoopRDD<LongWritable, Text> read(JavaSparkContext jsc, String inputDir, long splitBytes) {
    Configuration conf = new Configuration(jsc.hadoopConfiguration());
    conf.setLong("mapreduce.input.fileinputformat.split.maxsize", splitBytes);
    conf.set("mapreduce.input.fileinputformat.inputdir", inputDir);
    conf.setInt(MAX_GZIP_SPLITS, jsc.defaultParallelism());
    conf.setLong(GZIP_SPLIT_BYTES, splitBytes);
    @SuppressWarnings("unchecked")
    JavaNewHadoopRDD<LongWritable, Text> lines = (JavaNewHadoopRDD<LongWritable, Text>) jsc.newAPIHadoopRDD(
        conf, LineInputFormat.class, LongWritable.class, Text.class);
    return lines;
  }

  @Override
  public List<InputSplit> getSplits(JobContext job) throws IOException {
    Configuration conf = job.getConfiguration();
    int maxSplits = Math.max(1, conf.getInt(MAX_GZIP_SPLITS, 1));
    long splitBytes = Math.max(1, conf.getLong(GZIP_SPLIT_BYTES, 16L * 1024 * 1024));
    CompressionCodecFactory codecs = new CompressionCodecFactory(conf);
    List<InputSplit> splits = new ArrayList<>();
    Map<InputSplit, Long> work = new HashMap<>();
    for (InputSplit split : super.getSplits(job)) {
      FileSplit file = (FileSplit) split;
      if (!(codecs.getCodec(file.getPath()) instanceof GzipCodec)) {
        splits.add(split);
        work.put(split, file.getLength());
        continue;
      }
      long size = decompressedSize(file.getPath(), conf);
      int n = (int) Math.max(1, Math.min(maxSplits, size / splitBytes));
      if (n == 1) {
        splits.add(split);
        work.put(split, size);
        continue;
      }
      long share = (size + n - 1) / n;
      for (int i = 0; i < n; i++) {
        GzipRangeSplit range = new GzipRangeSplit(file.getPath(), i * share, share, file.getLocations(), i == n - 1);
        splits.add(range);
        work.put(range, share);
      }
    }
    // Largest first (Spark starts tasks in split order): the small splits, each file's remainder and
    // the small files, then fill the cores at the end instead of one large split running alone.
    splits.sort(java.util.Comparator.comparingLong((InputSplit split) -> work.get(split)).reversed());
    return splits;
  }

  /** The decompressed size {@link GzipSize} reads from the file's trailer. */
  static long decompressedSize(Path path, Configuration conf) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    long length = fs.getFileStatus(path).getLen();
    byte[] trailer = new byte[4];
    if (length >= GzipSize.MIN_GZIP_BYTES) {
      try (FSDataInputStream in = fs.open(path)) {
        in.readFully(length - 4, trailer);
      }
    }
    return GzipSize.estimate(length, trailer);
  }

  @Override
  public RecordReader<LongWritable, Text> createRecordReader(InputSplit split, TaskAttemptContext context) {
    return new Naming(split instanceof GzipRangeSplit range ? new GzipRangeReader(range) : new LineRecordReader());
  }

  /** One share of a gzip file: lines that begin at decompressed offsets in [start, start + length), or to the end. */
  public static final class GzipRangeSplit extends FileSplit {
    private boolean last;

    /** For Hadoop's reflection ({@code readFields} fills it). */
    public GzipRangeSplit() {
      super();
    }

    GzipRangeSplit(Path file, long start, long length, String[] hosts, boolean last) {
      super(file, start, length, hosts);
      this.last = last;
    }

    /** The last split reads to the end of the data, whatever the trailer said. */
    public boolean last() {
      return last;
    }

    @Override
    public void write(DataOutput out) throws IOException {
      super.write(out);
      out.writeBoolean(last);
    }

    @Override
    public void readFields(DataInput in) throws IOException {
      super.readFields(in);
      last = in.readBoolean();
    }
  }

  /** Reads the whole gzip file with Hadoop's line reader and keeps the lines of its share. */
  private static final class GzipRangeReader extends RecordReader<LongWritable, Text> {
    private final GzipRangeSplit split;
    private final LineRecordReader lines = new LineRecordReader();
    private final long end;
    private long lastLineRead = -1;

    GzipRangeReader(GzipRangeSplit split) {
      this.split = split;
      this.end = split.last() ? Long.MAX_VALUE : split.getStart() + split.getLength();
    }

    @Override
    public void initialize(InputSplit ignored, TaskAttemptContext context) throws IOException {
      Path path = split.getPath();
      long length = path.getFileSystem(context.getConfiguration()).getFileStatus(path).getLen();
      lines.initialize(new FileSplit(path, 0, length, split.getLocations()), context);
    }

    /** The position of the last line read, kept or not (-1 before the first). */
    long lastLineRead() {
      return lastLineRead;
    }

    @Override
    public boolean nextKeyValue() throws IOException {
      while (lines.nextKeyValue()) {
        long offset = lines.getCurrentKey().get();
        lastLineRead = offset;
        if (offset >= end) {
          return false;
        }
        if (offset >= split.getStart()) {
          return true;
        }
      }
      return false;
    }

    @Override
    public LongWritable getCurrentKey() {
      return lines.getCurrentKey();
    }

    @Override
    public Text getCurrentValue() {
      return lines.getCurrentValue();
    }

    @Override
    public float getProgress() throws IOException {
      return lines.getProgress();
    }

    @Override
    public void close() throws IOException {
      lines.close();
    }
  }

  /** Turns a read failure (a truncated or corrupt gzip, an I/O error) into one that names the file. */
  private static final class Naming extends RecordReader<LongWritable, Text> {
    private final RecordReader<LongWritable, Text> reader;
    private String file = "an input file";
    private long lastOffset = -1;

    Naming(RecordReader<LongWritable, Text> reader) {
      this.reader = reader;
    }

    @Override
    public void initialize(InputSplit split, TaskAttemptContext context) throws IOException, InterruptedException {
      file = ((FileSplit) split).getPath().toUri().getPath();
      try {
        reader.initialize(split, context);
      } catch (IOException e) {
        throw failure(e);
      }
    }

    @Override
    public boolean nextKeyValue() throws IOException, InterruptedException {
      try {
        boolean more = reader.nextKeyValue();
        if (more) {
          lastOffset = reader.getCurrentKey().get();
        }
        return more;
      } catch (IOException e) {
        throw failure(e);
      }
    }

    private InputReadException failure(IOException e) {
      boolean gzip = file.toLowerCase(java.util.Locale.ROOT).endsWith(".gz");
      // A gzip share's reader also reads the lines before its share: every task that fails names the same line.
      long last = reader instanceof GzipRangeReader range ? range.lastLineRead() : lastOffset;
      return InputReadException.of(file, last < 0 ? ""
          : " after the line at " + (gzip ? "decompressed " : "") + "byte offset " + last, e);
    }

    @Override
    public LongWritable getCurrentKey() throws IOException, InterruptedException {
      return reader.getCurrentKey();
    }

    @Override
    public Text getCurrentValue() throws IOException, InterruptedException {
      return reader.getCurrentValue();
    }

    @Override
    public float getProgress() throws IOException, InterruptedException {
      return reader.getProgress();
    }

    @Override
    public void close() throws IOException {
      reader.close();
    }
  }
}
