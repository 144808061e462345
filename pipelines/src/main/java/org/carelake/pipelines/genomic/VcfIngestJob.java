package org.carelake.pipelines.genomic;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.carelake.core.CareLakeException;
import org.carelake.core.DeltaWriter;
import org.carelake.core.IngestManifest;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.Progress;
import org.carelake.core.Pseudonymizer;
import org.carelake.core.TableWrite;
import org.carelake.core.schema.GenomicSchema;
import org.carelake.pipelines.io.InputReadException;

/**
 * {@code ingest vcf}: VCF files (4.1 to 4.3; plain, bgzip or gzip; single- or multi-sample) into
 * {@code silver.variant}, {@code silver.genotype} and {@code silver.genomic_sample}, with records
 * htsjdk cannot read in {@code bronze.vcf_quarantine}.
 *
 * <ul>
 *   <li>Files are planned on the driver (header, BGZF blocks) and read in splits by many tasks.
 *   <li>Samples are linked to patients through {@code samples.csv}; calls of samples it does not
 *       map are counted and reported, not written.
 *   <li>A sample's calls are replaced as a whole when a file with that sample is ingested again,
 *       so a newer file for a sample replaces its calls; an unchanged file is skipped
 *       ({@code ops.ingest_manifest}).
 *   <li>Everything is written in one {@link LakehouseTransaction}: a failed run commits nothing.
 * </ul>
 */
public final class VcfIngestJob {

  public static final String PIPELINE = "vcf";
  /** The manifest's entry for runs without a reference FASTA. */
  private static final String NO_REFERENCE = "no-reference-fasta";
  /** Largest target of compressed bytes per task (smaller inputs are cut into two splits per core). */
  public static final long DEFAULT_SPLIT_BYTES = 32L << 20;

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final Pseudonymizer keys;
  private final Progress progress;
  private org.carelake.pipelines.quality.StepChecks checks = org.carelake.pipelines.quality.StepChecks.none();
  private long splitBytes = -1;
  private boolean dryRun;
  private Path reference;

  public VcfIngestJob(SparkSession spark, Lakehouse lakehouse, Pseudonymizer keys, Progress progress) {
    this.spark = spark;
    this.lakehouse = lakehouse;
    this.keys = keys;
    this.progress = progress;
  }

  /** The quality checks this step runs on the tables it changed, before it commits (default: none). */
  public VcfIngestJob checks(org.carelake.pipelines.quality.StepChecks checks) {
    this.checks = checks;
    return this;
  }

  /** Smaller splits (tests prove a file read by many tasks gives the same rows). */
  public VcfIngestJob splitBytes(long bytes) {
    this.splitBytes = bytes;
    return this;
  }

  /**
   * The reference FASTA (indexed) of the VCFs' genome build: indels are then left-aligned against it
   * (ingest vcf --reference); without one, variants are only trimmed.
   */
  public VcfIngestJob reference(Path fasta) {
    this.reference = fasta;
    return this;
  }

  /** Reads, checks and counts without writing anything (ingest vcf --dry-run). */
  public VcfIngestJob dryRun(boolean dryRun) {
    this.dryRun = dryRun;
    return this;
  }

  /** The VCF files under {@code input}: {@code .vcf}, {@code .vcf.gz}, {@code .vcf.bgz}, {@code .bgz}; an explicit file is always read. */
  public static List<Path> inputs(Path input) {
    if (!Files.exists(input) || !Files.isReadable(input)) {
      throw CareLakeException.badInput("Cannot read VCF input " + input + ": no such file or folder, or not readable.",
          "pass --input a VCF file or a folder of them (.vcf, .vcf.gz, .vcf.bgz).");
    }
    if (!Files.isDirectory(input)) {
      return List.of(input.toAbsolutePath());
    }
    try (Stream<Path> walk = Files.walk(input, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
      return walk.filter(Files::isRegularFile).map(Path::toAbsolutePath).filter(p -> {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".vcf") || n.endsWith(".vcf.gz") || n.endsWith(".vcf.bgz") || n.endsWith(".bgz");
      }).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public VcfIngestResult execute(Path input, Path samplesFile, boolean force) {
    List<Path> files = inputs(input);
    if (files.isEmpty()) {
      throw CareLakeException.badInput("No VCF file under " + input + ".", "VCF files end in .vcf, .vcf.gz, .vcf.bgz or .bgz.");
    }
    SampleManifest samples = SampleManifest.load(samplesFile, keys);
    if (reference != null) {
      ReferenceGenome.check(reference); // readable and indexed, before any file is hashed
    }
    String runId = UUID.randomUUID().toString();
    IngestManifest manifest = new IngestManifest(spark, lakehouse, PIPELINE);
    List<IngestManifest.Fingerprint> prints = IngestManifest.fingerprint(files, progress);
    IngestManifest.Fingerprint samplesPrint = IngestManifest.fingerprint(List.of(samplesFile.toAbsolutePath()), Progress.silent()).get(0);
    // A changed manifest changes which patient each call belongs to: read every file again.
    boolean samplesChanged = !manifest.unseen(List.of(samplesPrint)).isEmpty();
    // So does another reference FASTA (or none): it moves indels. Its index (names, lengths) stands for it.
    IngestManifest.Fingerprint referencePrint = reference == null ? new IngestManifest.Fingerprint(Path.of(NO_REFERENCE), 0, NO_REFERENCE)
        : IngestManifest.fingerprint(List.of(htsjdk.samtools.reference.ReferenceSequenceFileFactory.getFastaIndexFileName(
            reference.toAbsolutePath())), Progress.silent()).get(0);
    boolean referenceChanged = !manifest.unseen(List.of(referencePrint)).isEmpty();
    List<IngestManifest.Fingerprint> todo = force || samplesChanged || referenceChanged ? prints : manifest.unseen(prints);
    int skipped = prints.size() - todo.size();
    if (todo.isEmpty()) {
      progress.detail("no new input: " + Progress.count(skipped, "file")
          + " already ingested with the same content and sample manifest (ops.ingest_manifest)");
      return VcfIngestResult.nothing(runId, skipped);
    }
    if (skipped > 0) {
      progress.detail("skipping " + Progress.count(skipped, "file") + " already ingested with the same content (ops.ingest_manifest)");
    }
    // Enough splits to keep every core busy (two per core), none larger than the default.
    long total = todo.stream().mapToLong(IngestManifest.Fingerprint::size).sum();
    long perSplit = splitBytes > 0 ? splitBytes
        : Math.min(DEFAULT_SPLIT_BYTES, Math.max(1L << 20, total / (2L * spark.sparkContext().defaultParallelism())));
    List<VcfFile> planned = new ArrayList<>();
    for (IngestManifest.Fingerprint f : todo) {
      VcfFile file = VcfFile.plan(f.path(), displayName(input, f.path()), planned.size(), perSplit,
          spark.sparkContext().defaultParallelism());
      VcfRecordParser.codec(file); // header errors now, before any Spark job
      planned.add(file);
    }
    List<IngestManifest.Fingerprint> recorded = new ArrayList<>(todo);
    recorded.add(samplesPrint);
    recorded.add(referencePrint);
    Linking linking = link(planned, samples);
    spark.sparkContext().setJobGroup("ingest-vcf-" + runId, "VCF ingest " + runId, false);
    Dataset<Row> parsed = null;
    try {
      int tasks = planned.stream().mapToInt(f -> f.splits().size()).sum();
      String splitBy = String.join(", ", planned.stream().map(VcfFile::splitSource).distinct().sorted().toList());
      progress.detail("parsing " + planned.size() + " files in " + tasks + " tasks, split by " + splitBy + " (" + linking.linked.size()
          + " samples linked to patients)");
      parsed = parse(planned).persist(StorageLevel.MEMORY_AND_DISK());
      return write(planned, parsed, linking, samples, runId, skipped, recorded, manifest);
    } catch (Exception e) { // Spark rethrows task failures as (undeclared) SparkException
      throw InputReadException.asBadInput(e);
    } finally {
      if (parsed != null) {
        parsed.unpersist();
      }
      spark.sparkContext().clearJobGroup();
    }
  }

  private static String displayName(Path input, Path file) {
    Path base = Files.isDirectory(input) ? input.toAbsolutePath() : input.toAbsolutePath().getParent();
    return base == null ? file.getFileName().toString() : base.relativize(file).toString();
  }

  /** Which sample of which file is written, for which patient; later files in path order win a sample named twice. */
  private static final class Linking {
    final List<Row> linked = new ArrayList<>();
    final Map<String, Integer> winnerFile = new HashMap<>();
    final List<String> unmapped = new ArrayList<>();
    final Map<Integer, Integer> unmappedPerFile = new HashMap<>();
    final Map<Integer, Integer> supersededPerFile = new HashMap<>();
    final Map<Integer, Integer> linkedPerFile = new HashMap<>();
    final Map<String, Timestamp> resultTimes = new HashMap<>();
    final Map<String, String> patientOf = new HashMap<>();
    final Map<String, String> fileOf = new HashMap<>();
  }

  private static Linking link(List<VcfFile> files, SampleManifest samples) {
    Linking l = new Linking();
    for (VcfFile f : files) {
      for (String name : f.sampleNames()) {
        if (samples.find(name).isPresent()) {
          l.winnerFile.put(name, files.indexOf(f));
        }
      }
    }
    for (int i = 0; i < files.size(); i++) {
      VcfFile f = files.get(i);
      List<String> names = f.sampleNames();
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (int s = 0; s < names.size(); s++) {
        String name = names.get(s);
        var sample = samples.find(name);
        if (sample.isEmpty()) {
          if (!l.unmapped.contains(name)) {
            l.unmapped.add(name);
          }
          l.unmappedPerFile.merge(i, 1, Integer::sum);
        } else if (l.winnerFile.get(name) != i || !seen.add(name)) {
          l.supersededPerFile.merge(i, 1, Integer::sum);
        } else {
          String sampleKey = sample.get().sampleKey();
          l.linked.add(RowFactory.create(i, s, sampleKey, sample.get().patientKey()));
          l.linkedPerFile.merge(i, 1, Integer::sum);
          l.patientOf.put(sampleKey, sample.get().patientKey());
          l.fileOf.put(sampleKey, f.displayName());
          if (sample.get().resultTime() != null) {
            l.resultTimes.put(sampleKey, sample.get().resultTime());
          }
        }
      }
    }
    return l;
  }

  private Dataset<Row> parse(List<VcfFile> files) {
    List<VcfFile.Split> splits = files.stream().flatMap(f -> f.splits().stream()).toList();
    VcfRecordParser parser = new VcfRecordParser(files, reference);
    List<String> names = files.stream().map(VcfFile::displayName).toList();
    JavaRDD<org.apache.spark.sql.catalyst.InternalRow> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(splits, splits.size()).mapPartitions(it -> new SplitRows(files, parser, it));
    // The parser builds Spark's internal rows itself (no per-call conversion from external Rows).
    Dataset<Row> df = spark.internalCreateDataFrame(rows.rdd(), VcfRecordParser.PARSED, false);
    Column name = lit(null).cast("string");
    for (int i = names.size() - 1; i >= 0; i--) {
      name = org.apache.spark.sql.functions.when(col("file_index").equalTo(i), lit(names.get(i))).otherwise(name);
    }
    return df.withColumn(GenomicSchema.SOURCE_FILE, name);
  }

  /** The parsed rows of a task's splits (a static class: nothing of the job is shipped to tasks). */
  private static final class SplitRows implements Iterator<org.apache.spark.sql.catalyst.InternalRow> {
    private final List<VcfFile> files;
    private final VcfRecordParser parser;
    private final Iterator<VcfFile.Split> splits;
    private VcfSplitReader reader;
    private VcfFile.Split split;

    SplitRows(List<VcfFile> files, VcfRecordParser parser, Iterator<VcfFile.Split> splits) {
      this.files = files;
      this.parser = parser;
      this.splits = splits;
    }

    @Override
    public boolean hasNext() {
      while (reader == null || !reader.hasNext()) {
        if (!splits.hasNext()) {
          return false;
        }
        split = splits.next();
        reader = new VcfSplitReader(files.get(split.fileIndex()), split);
      }
      return true;
    }

    @Override
    public org.apache.spark.sql.catalyst.InternalRow next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      return parser.parse(split.fileIndex(), reader.next());
    }
  }

  private VcfIngestResult write(List<VcfFile> files, Dataset<Row> parsed, Linking linking, SampleManifest samples, String runId,
      int skipped, List<IngestManifest.Fingerprint> recorded, IngestManifest manifest) {
    // One pass: records, rejects and variant rows per file.
    Map<Integer, long[]> perFile = new TreeMap<>();
    for (Row r : parsed.groupBy("file_index").agg(count(lit(1)), count(col(GenomicSchema.REASON_CODE)),
        sum(size(col("variants")))).collectAsList()) {
      perFile.put(r.getInt(0), new long[] {r.getLong(1), r.getLong(2), r.isNullAt(3) ? 0 : r.getLong(3)});
    }
    long records = perFile.values().stream().mapToLong(v -> v[0]).sum();
    long quarantined = perFile.values().stream().mapToLong(v -> v[1]).sum();
    long variantRows = perFile.values().stream().mapToLong(v -> v[2]).sum();
    progress.detail(String.format(Locale.ROOT, "parsed: %d records, %d quarantined, %d variant rows", records, quarantined, variantRows));
    Map<String, Long> byReason = new TreeMap<>();
    Map<String, Long> warnings = new TreeMap<>();
    if (quarantined > 0) {
      for (Row r : parsed.where(col(GenomicSchema.REASON_CODE).isNotNull()).groupBy(GenomicSchema.REASON_CODE).count().collectAsList()) {
        byReason.put(r.getString(0), r.getLong(1));
      }
    }
    for (Row r : parsed.select(explode(col("warnings")).as("w")).groupBy("w").count().collectAsList()) {
      warnings.put(r.getString(0), r.getLong(1));
    }

    Dataset<Row> sites = parsed.select(col("file_index"), col(GenomicSchema.SOURCE_FILE), col(GenomicSchema.SOURCE_POSITION),
        explode(col("variants")).as("v"));
    // Two records of one file can describe the same variant after splitting and trimming: the first counts.
    Dataset<Row> repeats = sites.select(col("file_index"), col(GenomicSchema.SOURCE_POSITION), col("v." + GenomicSchema.VARIANT_KEY).as("r_key"))
        .withColumn("rank", row_number().over(Window.partitionBy(col("file_index"), col("r_key")).orderBy(col(GenomicSchema.SOURCE_POSITION))))
        .where(col("rank").gt(1)).localCheckpoint(true);
    Map<Integer, Long> duplicatesPerFile = new HashMap<>();
    for (Row r : repeats.groupBy("file_index").count().collectAsList()) {
      duplicatesPerFile.put(r.getInt(0), r.getLong(1));
    }
    long duplicates = duplicatesPerFile.values().stream().mapToLong(Long::longValue).sum();
    Dataset<Row> firstSites = sites;
    if (duplicates > 0) {
      Dataset<Row> drop = repeats.select(col("file_index").as("r_file"), col(GenomicSchema.SOURCE_POSITION).as("r_pos"), col("r_key"));
      firstSites = sites.join(drop, sites.col("file_index").equalTo(drop.col("r_file"))
          .and(sites.col(GenomicSchema.SOURCE_POSITION).equalTo(drop.col("r_pos")))
          .and(sites.col("v." + GenomicSchema.VARIANT_KEY).equalTo(drop.col("r_key"))), "left_anti");
    }

    List<Column> variantColumns = new ArrayList<>();
    for (String c : GenomicSchema.VARIANT_SCHEMA.fieldNames()) {
      switch (c) {
        case GenomicSchema.SOURCE_FILE, GenomicSchema.SOURCE_POSITION -> variantColumns.add(col(c));
        case GenomicSchema.INGEST_RUN_ID -> variantColumns.add(lit(runId).as(c));
        default -> variantColumns.add(col("v." + c).as(c));
      }
    }
    // The same variant in several files of one run: one row, from the last file in path order.
    Dataset<Row> variants = firstSites.select(variantColumns.toArray(Column[]::new));
    long inSeveralFiles = 0;
    if (files.size() > 1) {
      Dataset<Row> ranked = firstSites.withColumn("rank", row_number().over(Window.partitionBy(col("v." + GenomicSchema.VARIANT_KEY))
          .orderBy(col("file_index").desc())));
      variants = ranked.where(col("rank").equalTo(1)).select(variantColumns.toArray(Column[]::new)).localCheckpoint(true);
      inSeveralFiles = variantRows - duplicates - variants.count();
    }

    StructType linkSchema = DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
        DataTypes.createStructField("l_file", DataTypes.IntegerType, false),
        DataTypes.createStructField("l_sample", DataTypes.IntegerType, false),
        DataTypes.createStructField(GenomicSchema.SAMPLE_KEY, DataTypes.StringType, false),
        DataTypes.createStructField(GenomicSchema.PATIENT_KEY, DataTypes.StringType, false)});
    Dataset<Row> links = spark.createDataFrame(linking.linked, linkSchema);
    Dataset<Row> calls = firstSites.select(col("file_index"), col(GenomicSchema.SOURCE_FILE), col("v." + GenomicSchema.VARIANT_KEY).as(
            GenomicSchema.VARIANT_KEY), col("v." + GenomicSchema.CONTIG).as(GenomicSchema.CONTIG),
        col("v." + GenomicSchema.POSITION).as(GenomicSchema.POSITION), col("v." + GenomicSchema.ALLELE_INDEX).as(GenomicSchema.ALLELE_INDEX),
        explode(col("v." + GenomicSchema.CALLS)).as("c"));
    Dataset<Row> genotypes = calls.join(broadcast(links), calls.col("file_index").equalTo(links.col("l_file"))
            .and(col("c.sample_index").equalTo(links.col("l_sample"))))
        .select(col(GenomicSchema.PATIENT_KEY), col(GenomicSchema.SAMPLE_KEY), col(GenomicSchema.VARIANT_KEY), col(GenomicSchema.CONTIG),
            col(GenomicSchema.POSITION), col(GenomicSchema.ALLELE_INDEX), col("c." + GenomicSchema.ALLELES).as(GenomicSchema.ALLELES),
            col("c." + GenomicSchema.PHASED).as(GenomicSchema.PHASED), col("c." + GenomicSchema.PLOIDY).as(GenomicSchema.PLOIDY),
            col("c." + GenomicSchema.ALT_DOSAGE).as(GenomicSchema.ALT_DOSAGE), col("c." + GenomicSchema.DP).as(GenomicSchema.DP),
            col("c." + GenomicSchema.GQ).as(GenomicSchema.GQ), col("c." + GenomicSchema.AD).as(GenomicSchema.AD),
            col(GenomicSchema.SOURCE_FILE), lit(runId).as(GenomicSchema.INGEST_RUN_ID));

    Timestamp now = Timestamp.from(Instant.now());
    List<Row> sampleRows = new ArrayList<>();
    int withoutResultDate = 0;
    for (Row l : linking.linked) {
      String sampleKey = l.getString(2);
      Timestamp resulted = linking.resultTimes.get(sampleKey);
      if (resulted == null) {
        withoutResultDate++;
      }
      sampleRows.add(RowFactory.create(sampleKey, l.getString(3), linking.fileOf.get(sampleKey), resulted == null ? now : resulted, runId));
    }
    Dataset<Row> sampleTable = spark.createDataFrame(sampleRows, GenomicSchema.SAMPLE_SCHEMA);
    Dataset<Row> sampleKeys = sampleTable.select(GenomicSchema.SAMPLE_KEY);

    Dataset<Row> rejected = parsed.where(col(GenomicSchema.REASON_CODE).isNotNull()).select(col(GenomicSchema.SOURCE_FILE),
        col(GenomicSchema.SOURCE_POSITION), lit("").as(GenomicSchema.POSITION_KIND), col(GenomicSchema.LINE_NUMBER),
        col(GenomicSchema.REASON_CODE), col(GenomicSchema.REASON), col(GenomicSchema.RAW), lit(runId).as(GenomicSchema.INGEST_RUN_ID),
        col("file_index"));
    Column kind = lit("byte offset");
    for (int i = 0; i < files.size(); i++) {
      String k = switch (files.get(i).compression()) {
        case BGZF -> "bgzf virtual offset";
        case GZIP -> "uncompressed byte offset";
        case PLAIN -> "byte offset";
      };
      kind = org.apache.spark.sql.functions.when(col("file_index").equalTo(i), lit(k)).otherwise(kind);
    }
    rejected = rejected.withColumn(GenomicSchema.POSITION_KIND, kind).drop("file_index");
    List<Row> readFiles = files.stream().map(f -> RowFactory.create(f.displayName())).toList();
    Dataset<Row> readFileNames = spark.createDataFrame(readFiles, DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
        DataTypes.createStructField(GenomicSchema.SOURCE_FILE, DataTypes.StringType, false)}));

    List<TableWrite> writes = new ArrayList<>();
    long callsWritten;
    if (dryRun) {
      callsWritten = genotypes.count();
      writes.add(new TableWrite(GenomicSchema.VARIANT, -1, -1, variants.count(), 0, 0));
    } else {
  try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
        DeltaWriter writer = new DeltaWriter(spark, lakehouse, tx)
            .partitionNewTable(GenomicSchema.VARIANT, GenomicSchema.CONTIG)
            .partitionNewTable(GenomicSchema.GENOTYPE, GenomicSchema.CONTIG)
            .statsColumnsOfNewTable(GenomicSchema.GENOTYPE, GenomicSchema.GENOTYPE_STATS_COLUMNS.toArray(new String[0]));
        progress.detail("merging " + GenomicSchema.VARIANT);
        writes.add(writer.upsertCompared(variants, GenomicSchema.VARIANT, List.of(GenomicSchema.VARIANT_KEY), GenomicSchema.VARIANT_CONTENT));
        progress.detail("replacing the calls of " + linking.linked.size() + " samples in " + GenomicSchema.GENOTYPE);
        TableWrite removed = writer.delete(sampleKeys, GenomicSchema.GENOTYPE, List.of(GenomicSchema.SAMPLE_KEY));
        // The calls arrive sorted by contig within each task: the session's concurrent writers (SparkSessions) spare a sort.
        TableWrite added = writer.append(genotypes, GenomicSchema.GENOTYPE);
        callsWritten = added.inserted();
        writes.add(new TableWrite(GenomicSchema.GENOTYPE, removed.versionBefore(), added.versionAfter(), added.inserted(), 0,
            removed.deleted()));
        writes.add(writer.upsertCompared(sampleTable, GenomicSchema.SAMPLE, List.of(GenomicSchema.SAMPLE_KEY),
            List.of(GenomicSchema.PATIENT_KEY, GenomicSchema.SOURCE_FILE, GenomicSchema.RESULT_TIME)));
        // The quarantine holds what the latest read of each file rejected.
        TableWrite cleared = writer.delete(readFileNames, GenomicSchema.QUARANTINE, List.of(GenomicSchema.SOURCE_FILE));
        {
          TableWrite q = writer.append(rejected, GenomicSchema.QUARANTINE);
          writes.add(new TableWrite(GenomicSchema.QUARANTINE, cleared.versionBefore() == TableWrite.NO_VERSION ? q.versionBefore()
              : cleared.versionBefore(), q.versionAfter(), q.inserted(), 0, cleared.deleted()));
        }
        checks.run(spark, lakehouse, tx, "ingest vcf", progress);
        writes.add(manifest.record(writer, recorded, runId));
        tx.commit();
      }
    }

    long callsParsed = 0;
    long callsUnmapped = 0;
    long callsSuperseded = 0;
    long callsDuplicate = 0;
    for (int i = 0; i < files.size(); i++) {
      long rows = perFile.getOrDefault(i, new long[3])[2];
      int sampleCount = files.get(i).sampleNames().size();
      callsParsed += rows * sampleCount;
      callsUnmapped += rows * linking.unmappedPerFile.getOrDefault(i, 0);
      callsSuperseded += rows * linking.supersededPerFile.getOrDefault(i, 0);
      callsDuplicate += duplicatesPerFile.getOrDefault(i, 0L) * linking.linkedPerFile.getOrDefault(i, 0);
    }
    TableWrite variantWrite = writes.get(0);
    long variantsWritten = variantWrite.inserted() + variantWrite.updated();
    return new VcfIngestResult(runId, files.size(), skipped, records, records - quarantined, quarantined, byReason, variantRows,
        variantsWritten, variantRows - duplicates - inSeveralFiles - variantsWritten, duplicates, inSeveralFiles, callsParsed, callsWritten, callsUnmapped,
        callsSuperseded, callsDuplicate, linking.linked.size(), linking.unmapped, samples.patientsNamedTwice(), withoutResultDate,
        warnings, writes);
  }
}
