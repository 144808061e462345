package org.carelake.pipelines.wearable;

import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.catalyst.InternalRow;
import scala.Tuple2;

/**
 * Parses one split of a line-oriented file (CSV, or Open mHealth NDJSON): each line is a record, its
 * position the byte offset of the line, so one large file is read by many tasks. The file's layout
 * was detected from its header when the ingest was planned; the header line itself (offset 0) is
 * not a record.
 */
final class LinePartitionParser implements Function2<InputSplit, Iterator<Tuple2<LongWritable, Text>>, Iterator<InternalRow>> {

  private static final long serialVersionUID = 1L;

  /** Per file (absolute path as Hadoop reports it): how to read it and the name to report. */
  record FileInfo(WearableFormat format, boolean ndjson, String displayName) implements java.io.Serializable {}

  private final RecordParser parser;
  private final Map<String, FileInfo> files;

  LinePartitionParser(RecordParser parser, Map<String, FileInfo> files) {
    this.parser = parser;
    this.files = files;
  }

  @Override
  public Iterator<InternalRow> call(InputSplit split, Iterator<Tuple2<LongWritable, Text>> lines) {
    String path = ((FileSplit) split).getPath().toUri().getPath();
    FileInfo info = files.get(path);
    if (info == null) {
      throw new IllegalStateException("no layout planned for " + path);
    }
    return new Iterator<>() {
      private Iterator<InternalRow> pending = Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        while (!pending.hasNext() && lines.hasNext()) {
          Tuple2<LongWritable, Text> line = lines.next();
          long offset = line._1().get();
          String text = line._2().toString();
          if (text.isBlank() || (!info.ndjson() && offset == 0)) {
            continue; // blank lines and the header carry no record
          }
          List<InternalRow> rows = info.ndjson() ? parser.openMHealth(text, info.displayName(), offset)
              : parser.csvLine(info.format(), text, info.displayName(), offset);
          pending = rows.iterator();
        }
        return pending.hasNext();
      }

      @Override
      public InternalRow next() {
        hasNext();
        return pending.next();
      }
    };
  }
}
