package org.carelake.pipelines.fhir.internal;

import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.catalyst.InternalRow;
import org.carelake.core.Pseudonymizer;
import scala.Tuple2;

/**
 * Parses one split of an NDJSON file: each line is a record, its position the byte offset of the
 * line in the (decompressed) file. Splits let Spark read one large file with many tasks.
 */
public final class NdjsonPartitionParser implements Function2<InputSplit, Iterator<Tuple2<LongWritable, Text>>, Iterator<InternalRow>> {

  private static final long serialVersionUID = 1L;

  private final Pseudonymizer keys;
  private final String runId;

  public NdjsonPartitionParser(Pseudonymizer keys, String runId) {
    this.keys = keys;
    this.runId = runId;
  }

  @Override
  public Iterator<InternalRow> call(InputSplit split, Iterator<Tuple2<LongWritable, Text>> lines) {
    String file = ((FileSplit) split).getPath().toUri().getPath();
    FhirRecordParser parser = new FhirRecordParser(keys, runId);
    return new Iterator<>() {
      private Iterator<InternalRow> pending = Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        while (!pending.hasNext() && lines.hasNext()) {
          Tuple2<LongWritable, Text> line = lines.next();
          String json = line._2().toString();
          if (json.isBlank()) {
            continue; // a blank line carries no record
          }
          List<InternalRow> rows = parser.parse(json, file, line._1().get(), ParsedSchema.POSITION_LINE_OFFSET);
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
