package org.carelake.pipelines.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.InputFormat;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SparkExtension.class)
class LineInputFormatTest {

  /** A line as a task read it: its split, its position and its text. */
  record Line(int split, long offset, String text) implements java.io.Serializable {}

  @Test
  void aGzipFileIsReadByManyTasksWithTheLinesAndOffsetsOfOneTask(SparkSession spark, @TempDir Path dir) throws IOException {
    byte[] data = ndjson(3_000);
    Path file = dir.resolve("Observation.000.ndjson.gz");
    Files.write(file, gzip(data));

    List<Line> oneTask = read(spark, TextInputFormat.class, file, 1, 1);
    List<Line> split = read(spark, LineInputFormat.class, file, 4, 16 * 1024);

    assertThat(oneTask).extracting(Line::split).containsOnly(0);
    assertThat(split).extracting(Line::split).as("every one of the 4 tasks kept lines").containsOnly(0, 1, 2, 3).contains(0, 1, 2, 3);
    // The same lines at the same positions, in the same order once the tasks' outputs are concatenated.
    assertThat(split).extracting(l -> l.offset() + " " + l.text())
        .containsExactlyElementsOf(oneTask.stream().map(l -> l.offset() + " " + l.text()).toList());
    // Positions are decompressed byte offsets, counted here independently of Hadoop.
    assertThat(split).extracting(Line::offset).containsExactlyElementsOf(lineStarts(data));
  }

  @Test
  void aConcatenatedGzipWhoseTrailerUnderstatesItsSizeLosesAndRepeatsNoLine(SparkSession spark, @TempDir Path dir) throws IOException {
    byte[] first = ndjson(2_000);
    byte[] last = "{\"resourceType\":\"Patient\",\"id\":\"last\"}\n".getBytes(StandardCharsets.UTF_8);
    Path file = dir.resolve("Patient.ndjson.gz");
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(gzip(first));
      out.write(gzip(last)); // the file's trailer now records only this member's 39 bytes
    }
    byte[] whole = new byte[first.length + last.length];
    System.arraycopy(first, 0, whole, 0, first.length);
    System.arraycopy(last, 0, whole, first.length, last.length);
    assertThat(LineInputFormat.decompressedSize(new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))
        .isEqualTo(Files.size(file));

    List<Line> split = read(spark, LineInputFormat.class, file, 4, 1024);

    assertThat(split.stream().map(Line::split).distinct().count()).isGreaterThan(1);
    assertThat(split).extracting(Line::offset).containsExactlyElementsOf(lineStarts(whole));
    assertThat(split.get(split.size() - 1).text()).contains("\"last\"");
  }

  @Test
  void aSmallGzipFileIsOneSplitAndAPlainFileKeepsHadoopsByteSplits(SparkSession spark, @TempDir Path dir) throws IOException {
    byte[] data = ndjson(200);
    Path gz = Files.write(dir.resolve("small.ndjson.gz"), gzip(data));
    assertThat(read(spark, LineInputFormat.class, gz, 4, data.length + 1)).extracting(Line::split).containsOnly(0);
    Path plain = Files.write(dir.resolve("plain.ndjson"), data);
    List<Line> lines = read(spark, LineInputFormat.class, plain, 4, 4096);
    // Hadoop's byte splits of 4 KB, not capped by the gzip share limit
    assertThat(lines.stream().map(Line::split).distinct().count()).isGreaterThan(4);
    assertThat(lines).extracting(Line::offset).containsExactlyElementsOf(lineStarts(data));
  }

  @Test
  void splitsComeLargestFirstSoSmallOnesFillTheCoresAtTheEnd(SparkSession spark, @TempDir Path dir) throws IOException {
    byte[] small = ndjson(40);
    byte[] large = ndjson(1_000);
    byte[] zipped = ndjson(600);
    Path a = Files.write(dir.resolve("a-small.ndjson"), small);
    Path b = Files.write(dir.resolve("b-large.ndjson"), large);
    Path c = Files.write(dir.resolve("c-zipped.ndjson.gz"), gzip(zipped));
    long splitBytes = 32 * 1024;
    String inputs = LineInputFormat.inputList(List.of(a.toString(), b.toString(), c.toString()));
    List<Line> lines = read(spark, LineInputFormat.class, inputs, 1, splitBytes);
    // The gzip file is one split weighed by its decompressed size, not its compressed one.
    java.util.Map<Integer, Long> bytesPerSplit = new java.util.TreeMap<>();
    lines.forEach(l -> bytesPerSplit.merge(l.split(), (long) l.text().length() + 1, Long::sum));
    List<Long> sizes = new ArrayList<>(bytesPerSplit.values());
    assertThat(sizes).hasSizeGreaterThan(3);
    for (int i = 1; i < sizes.size(); i++) {
      // Split boundaries fall mid-line, so sizes are compared with a line's slack.
      assertThat(sizes.get(i)).as("split %d after a larger one", i).isLessThanOrEqualTo(sizes.get(i - 1) + 400);
    }
    assertThat(bytesPerSplit.get(bytesPerSplit.size() - 1)).as("the small file last").isLessThan((long) small.length + 400);
    assertThat(lines).as("every line read once").hasSize(lineStarts(small).size() + lineStarts(large).size() + lineStarts(zipped).size());
  }

  private static List<Line> read(SparkSession spark, Class<? extends InputFormat<LongWritable, Text>> format, Path file,
      int maxSplits, long splitBytes) {
    return read(spark, format, file.toString(), maxSplits, splitBytes);
  }

  private static List<Line> read(SparkSession spark, Class<? extends InputFormat<LongWritable, Text>> format, String inputs,
      int maxSplits, long splitBytes) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = new Configuration(jsc.hadoopConfiguration());
    conf.set("mapreduce.input.fileinputformat.inputdir", inputs);
    conf.setLong("mapreduce.input.fileinputformat.split.maxsize", splitBytes);
    conf.setInt(LineInputFormat.MAX_GZIP_SPLITS, maxSplits);
    conf.setLong(LineInputFormat.GZIP_SPLIT_BYTES, splitBytes);
    return jsc.newAPIHadoopRDD(conf, format, LongWritable.class, Text.class)
        .mapPartitionsWithIndex((index, lines) -> {
          List<Line> out = new ArrayList<>();
          lines.forEachRemaining(l -> out.add(new Line(index, l._1().get(), l._2().toString())));
          return out.iterator();
        }, false)
        .collect();
  }

  /** NDJSON of varied line lengths, with a blank line and CRLF endings among LF ones. */
  private static byte[] ndjson(int lines) {
    Random random = new Random(42);
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < lines; i++) {
      text.append("{\"resourceType\":\"Observation\",\"id\":\"o").append(i).append("\",\"note\":\"")
          .append("x".repeat(random.nextInt(300))).append("\"}").append(i % 7 == 0 ? "\r\n" : "\n");
      if (i % 500 == 250) {
        text.append('\n');
      }
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The offset of every line's first byte (a CRLF ends one line; an empty line is a line). */
  private static List<Long> lineStarts(byte[] data) {
    List<Long> starts = new ArrayList<>();
    long start = 0;
    for (int i = 0; i < data.length; i++) {
      if (data[i] == '\n') {
        starts.add(start);
        start = i + 1;
      }
    }
    if (start < data.length) {
      starts.add(start);
    }
    return starts;
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      out.write(data);
    }
    return bytes.toByteArray();
  }
}
