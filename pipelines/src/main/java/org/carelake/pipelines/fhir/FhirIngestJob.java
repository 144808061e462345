package org.carelake.pipelines.fhir;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.desc_nulls_last;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.storage.StorageLevel;
import org.carelake.core.CareLakeException;
import org.carelake.core.DeltaWriter;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.Progress;
import org.carelake.core.Pseudonymizer;
import org.carelake.core.TableWrite;
import org.carelake.core.schema.BronzeResourceSchema;
import org.carelake.core.schema.Lineage;
import org.carelake.core.schema.QuarantineSchema;
import org.carelake.pipelines.fhir.internal.Mappers;
import org.carelake.pipelines.fhir.internal.NdjsonPartitionParser;
import org.carelake.pipelines.fhir.internal.ParsedSchema;
import org.carelake.pipelines.fhir.internal.ResourceMapper;
import org.carelake.pipelines.fhir.internal.WholeFileParser;

/**
 * Ingests FHIR R4 exports (Bulk Data NDJSON and per-patient Bundles, plain or gzip) into
 * {@code bronze.fhir_resource}, {@code bronze.fhir_quarantine} and the typed silver tables.
 *
 * <p>Each record is parsed once with HAPI inside Spark tasks; large NDJSON files are split across
 * tasks. All writes are MERGEs on natural keys that skip unchanged rows, inside one
 * {@link LakehouseTransaction}: re-running the same input changes nothing, and a failed run leaves
 * every table at its last good version.
 */
public final class FhirIngestJob {

  private static final long MAX_SPLIT_BYTES = 16L * 1024 * 1024;

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final Pseudonymizer keys;
  private final Progress progress;

  public FhirIngestJob(SparkSession spark, Lakehouse lakehouse, Pseudonymizer keys, Progress progress) {
    this.spark = spark;
    this.lakehouse = lakehouse;
    this.keys = keys;
    this.progress = progress;
  }

  /** The input files an ingest of {@code input} would read, or a clear error if there are none. */
  public static FhirInputPlan plan(Path input) {
    if (!Files.exists(input) || !Files.isReadable(input)) {
      throw CareLakeException.badInput("Cannot read FHIR input " + input + ": no such file or folder, or not readable.",
          "pass --input a folder or file of FHIR R4 NDJSON (.ndjson) or Bundle JSON (.json), optionally gzipped.");
    }
    List<Path> ndjson = new ArrayList<>();
    List<Path> json = new ArrayList<>();
    try (Stream<Path> walk = Files.isDirectory(input) ? Files.walk(input, java.nio.file.FileVisitOption.FOLLOW_LINKS) : Stream.of(input)) {
      walk.filter(Files::isRegularFile).sorted().forEach(p -> {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".ndjson") || name.endsWith(".ndjson.gz")) {
          ndjson.add(p.toAbsolutePath());
        } else if (name.endsWith(".json") || name.endsWith(".json.gz")) {
          json.add(p.toAbsolutePath());
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (ndjson.isEmpty() && json.isEmpty()) {
      throw CareLakeException.badInput("No FHIR files in " + input + ".",
          "FHIR inputs end in .ndjson, .ndjson.gz, .json or .json.gz.");
    }
    return new FhirInputPlan(ndjson, json);
  }

  /** Input files, split by how they are read. */
  public record FhirInputPlan(List<Path> ndjsonFiles, List<Path> jsonFiles) {
    public int fileCount() {
      return ndjsonFiles.size() + jsonFiles.size();
    }
  }

  public FhirIngestResult execute(FhirInputPlan plan) {
    String runId = UUID.randomUUID().toString();
    spark.sparkContext().setJobGroup("ingest-fhir-" + runId, "FHIR ingest " + runId, false);
    Dataset<Row> parsed = parse(plan, runId).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      progress.detail("parsing " + plan.fileCount() + " files with HAPI FHIR R4");
      Map<String, Long> accepted = new TreeMap<>();
      Map<String, Long> quarantined = new TreeMap<>();
      long read = 0;
      for (Row r : parsed.groupBy(ParsedSchema.KIND, ParsedSchema.RESOURCE_TYPE, ParsedSchema.REASON_CODE).count().collectAsList()) {
        long n = r.getLong(3);
        read += n;
        if (ParsedSchema.KIND_RESOURCE.equals(r.getString(0))) {
          accepted.merge(r.getString(1), n, Long::sum);
        } else {
          quarantined.merge(r.getString(2), n, Long::sum);
        }
      }
      List<TableWrite> writes = new ArrayList<>();
      try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
        DeltaWriter writer = new DeltaWriter(spark, lakehouse, tx);
        writes.add(writer.upsert(bronze(parsed, runId), BronzeResourceSchema.TABLE,
            List.of(BronzeResourceSchema.RESOURCE_TYPE, BronzeResourceSchema.RESOURCE_ID, BronzeResourceSchema.CONTENT_HASH),
            BronzeResourceSchema.CONTENT_HASH, null));
        writes.add(writer.upsert(quarantine(parsed, runId), QuarantineSchema.TABLE,
            List.of(QuarantineSchema.SOURCE_FILE, QuarantineSchema.SOURCE_POSITION, QuarantineSchema.CONTENT_HASH),
            QuarantineSchema.CONTENT_HASH, null));
        for (ResourceMapper mapper : Mappers.ALL) {
          progress.detail("merging " + mapper.table());
          writes.add(writer.upsert(latestPerKey(silver(parsed, mapper), mapper.keyColumn()), mapper.table(),
              List.of(mapper.keyColumn()), Lineage.CONTENT_HASH, NEWER));
        }
        tx.commit();
      }
      return new FhirIngestResult(runId, plan.fileCount(), read, accepted, quarantined, writes);
    } finally {
      parsed.unpersist();
      spark.sparkContext().clearJobGroup();
    }
  }

  /** A source row replaces the silver row unless the silver row is known to be newer. */
  static final String NEWER = "s." + Lineage.LAST_UPDATED + " IS NULL OR t." + Lineage.LAST_UPDATED + " IS NULL OR s."
      + Lineage.LAST_UPDATED + " >= t." + Lineage.LAST_UPDATED;

  Dataset<Row> parse(FhirInputPlan plan, String runId) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<Row> rows = jsc.emptyRDD();
    if (!plan.ndjsonFiles().isEmpty()) {
      Configuration conf = new Configuration(jsc.hadoopConfiguration());
      conf.setLong("mapreduce.input.fileinputformat.split.maxsize", MAX_SPLIT_BYTES);
      conf.set("mapreduce.input.fileinputformat.inputdir", join(plan.ndjsonFiles()));
      @SuppressWarnings("unchecked")
      JavaNewHadoopRDD<LongWritable, Text> lines = (JavaNewHadoopRDD<LongWritable, Text>) jsc.newAPIHadoopRDD(
          conf, TextInputFormat.class, LongWritable.class, Text.class);
      rows = rows.union(lines.mapPartitionsWithInputSplit(new NdjsonPartitionParser(keys, runId), false));
    }
    if (!plan.jsonFiles().isEmpty()) {
      rows = rows.union(jsc.binaryFiles(join(plan.jsonFiles())).flatMap(new WholeFileParser(keys, runId)));
    }
    return spark.createDataFrame(rows, ParsedSchema.SCHEMA);
  }

  /**
   * Hadoop's comma-separated input list: plain local paths (not percent-encoded URIs, which Hadoop
   * would not decode: non-ASCII file names exist in real exports), with commas escaped.
   */
  private static String join(List<Path> files) {
    return String.join(",", files.stream()
        .map(p -> org.apache.hadoop.util.StringUtils.escapeString(p.toAbsolutePath().toString())).toList());
  }

  private static Dataset<Row> bronze(Dataset<Row> parsed, String runId) {
    Dataset<Row> rows = parsed.filter(col(ParsedSchema.KIND).equalTo(ParsedSchema.KIND_RESOURCE)).select(
        col(ParsedSchema.RESOURCE_TYPE).as(BronzeResourceSchema.RESOURCE_TYPE),
        col(ParsedSchema.RESOURCE_ID).as(BronzeResourceSchema.RESOURCE_ID),
        col(ParsedSchema.VERSION_ID).as(BronzeResourceSchema.VERSION_ID),
        col(ParsedSchema.LAST_UPDATED).as(BronzeResourceSchema.LAST_UPDATED),
        col(ParsedSchema.CONTENT_HASH).as(BronzeResourceSchema.CONTENT_HASH),
        col(ParsedSchema.RAW_JSON).as(BronzeResourceSchema.RAW_JSON),
        col(ParsedSchema.SOURCE_FILE).as(BronzeResourceSchema.SOURCE_FILE),
        col(ParsedSchema.SOURCE_POSITION).as(BronzeResourceSchema.SOURCE_POSITION),
        col(ParsedSchema.SOURCE_POSITION_KIND).as(BronzeResourceSchema.SOURCE_POSITION_KIND),
        lit(runId).as(BronzeResourceSchema.INGEST_RUN_ID));
    return firstPerKey(rows, BronzeResourceSchema.RESOURCE_TYPE, BronzeResourceSchema.RESOURCE_ID, BronzeResourceSchema.CONTENT_HASH);
  }

  private static Dataset<Row> quarantine(Dataset<Row> parsed, String runId) {
    Dataset<Row> rows = parsed.filter(col(ParsedSchema.KIND).equalTo(ParsedSchema.KIND_QUARANTINE)).select(
        col(ParsedSchema.SOURCE_FILE).as(QuarantineSchema.SOURCE_FILE),
        col(ParsedSchema.SOURCE_POSITION).as(QuarantineSchema.SOURCE_POSITION),
        col(ParsedSchema.SOURCE_POSITION_KIND).as(QuarantineSchema.SOURCE_POSITION_KIND),
        col(ParsedSchema.REASON_CODE).as(QuarantineSchema.REASON_CODE),
        col(ParsedSchema.REASON).as(QuarantineSchema.REASON),
        col(ParsedSchema.RESOURCE_TYPE).as(QuarantineSchema.RESOURCE_TYPE),
        col(ParsedSchema.RESOURCE_ID).as(QuarantineSchema.RESOURCE_ID),
        col(ParsedSchema.CONTENT_HASH).as(QuarantineSchema.CONTENT_HASH),
        col(ParsedSchema.RAW_JSON).as(QuarantineSchema.RAW),
        lit(runId).as(QuarantineSchema.INGEST_RUN_ID));
    return firstPerKey(rows, QuarantineSchema.SOURCE_FILE, QuarantineSchema.SOURCE_POSITION, QuarantineSchema.CONTENT_HASH);
  }

  private static Dataset<Row> silver(Dataset<Row> parsed, ResourceMapper mapper) {
    String struct = mapper.table().name();
    return parsed.filter(col(struct).isNotNull()).select(col(struct + ".*"));
  }

  /** One row per key: the newest by lastUpdated, then versionId, then content hash (deterministic). */
  private static Dataset<Row> latestPerKey(Dataset<Row> rows, String key) {
    return rows.withColumn("_rank", row_number().over(Window.partitionBy(key).orderBy(
            desc_nulls_last(Lineage.LAST_UPDATED), desc_nulls_last(Lineage.VERSION_ID), col(Lineage.CONTENT_HASH))))
        .filter(col("_rank").equalTo(1)).drop("_rank");
  }

  private static Dataset<Row> firstPerKey(Dataset<Row> rows, String... keys) {
    return rows.dropDuplicates(keys);
  }
}
