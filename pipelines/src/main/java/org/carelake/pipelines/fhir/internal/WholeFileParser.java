package org.carelake.pipelines.fhir.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.zip.GZIPInputStream;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.input.PortableDataStream;
import org.apache.spark.sql.catalyst.InternalRow;
import org.carelake.core.Pseudonymizer;
import org.carelake.pipelines.io.InputReadException;
import scala.Tuple2;

/** Parses whole-file JSON inputs: a Bundle (one per patient, as Synthea writes) or a single resource. */
public final class WholeFileParser implements FlatMapFunction<Tuple2<String, PortableDataStream>, InternalRow> {

  private static final long serialVersionUID = 1L;

  private final Pseudonymizer keys;
  private final String runId;
  private transient FhirRecordParser parser;

  public WholeFileParser(Pseudonymizer keys, String runId) {
    this.keys = keys;
    this.runId = runId;
  }

  @Override
  public Iterator<InternalRow> call(Tuple2<String, PortableDataStream> file) {
    if (parser == null) {
      parser = new FhirRecordParser(keys, runId);
    }
    String path = URI.create(file._1()).getPath();
    try (InputStream raw = file._2().open();
        InputStream in = path.endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
      String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return parser.parse(json, path, 0L, ParsedSchema.POSITION_FILE).iterator();
    } catch (IOException e) {
      throw InputReadException.of(path, "", e);
    }
  }
}
