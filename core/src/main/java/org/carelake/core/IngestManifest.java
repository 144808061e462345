package org.carelake.core;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * {@code ops.ingest_manifest}: every input file an ingest committed, by pipeline, path, size and
 * SHA-256. A later run skips a file whose path and content hash are already recorded, so an
 * unchanged export costs one hash pass and no Spark job. The manifest is written in the same
 * transaction as the data, so a failed run records nothing and is retried in full.
 */
public final class IngestManifest {

  public static final TableId TABLE = TableId.ops("ingest_manifest");

  static final StructType SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField("pipeline", DataTypes.StringType, false),
      DataTypes.createStructField("path", DataTypes.StringType, false),
      DataTypes.createStructField("size_bytes", DataTypes.LongType, false),
      DataTypes.createStructField("sha256", DataTypes.StringType, false),
      DataTypes.createStructField("run_id", DataTypes.StringType, false),
      DataTypes.createStructField("ingested_at", DataTypes.TimestampType, false)});

  /** A file's identity for the manifest. */
  public record Fingerprint(Path path, long size, String sha256) {}

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final String pipeline;

  public IngestManifest(SparkSession spark, Lakehouse lakehouse, String pipeline) {
    this.spark = spark;
    this.lakehouse = lakehouse;
    this.pipeline = pipeline;
  }

  /** Size and SHA-256 of each file, several files at a time (streamed; no file is held in memory). */
  public static List<Fingerprint> fingerprint(List<Path> files, Progress progress) {
    List<Fingerprint> out = files.parallelStream().map(IngestManifest::fingerprint).toList();
    long bytes = out.stream().mapToLong(Fingerprint::size).sum();
    progress.detail(String.format(java.util.Locale.ROOT, "fingerprinted %d files (%.1f MB)", files.size(), bytes / 1e6));
    return out;
  }

  private static Fingerprint fingerprint(Path file) {
    byte[] buffer = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      long size = 0;
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
        size += n;
      }
      return new Fingerprint(file, size, HexFormat.of().formatHex(digest.digest()));
    } catch (IOException e) {
      throw CareLakeException.badInput("Cannot read input file " + file + ": " + CareLakeException.reason(e) + ".",
          "check the file exists and is readable by this user.");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The files not yet committed with this content. */
  public List<Fingerprint> unseen(List<Fingerprint> files) {
    if (!lakehouse.exists(TABLE)) {
      return files;
    }
    Set<String> seen = new HashSet<>();
    for (Row r : lakehouse.read(spark, TABLE).filter(col("pipeline").equalTo(pipeline)).select("path", "sha256").collectAsList()) {
      seen.add(r.getString(0) + "\u0000" + r.getString(1));
    }
    return files.stream().filter(f -> !seen.contains(f.path().toString() + "\u0000" + f.sha256())).toList();
  }

  /** Records the files as committed by {@code runId}, inside the caller's transaction. */
  public TableWrite record(DeltaWriter writer, List<Fingerprint> files, String runId) {
    Timestamp now = Timestamp.from(Instant.now());
    List<Row> rows = files.stream().map(f -> RowFactory.create(pipeline, f.path().toString(), f.size(), f.sha256(), runId, now)).toList();
    Dataset<Row> df = spark.createDataFrame(rows, SCHEMA);
    return writer.append(df, TABLE);
  }
}
