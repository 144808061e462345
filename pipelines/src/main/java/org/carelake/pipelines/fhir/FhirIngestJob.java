package org.carelake.pipelines.fhir;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.desc_nulls_last;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.when;

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
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.storage.StorageLevel;
import org.carelake.core.CareLakeException;
import org.carelake.core.DeltaWriter;
import org.carelake.core.IngestManifest;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.Progress;
import org.carelake.core.Pseudonymizer;
import org.carelake.core.StagingFolders;
import org.carelake.core.TableFiles;
import org.carelake.core.TableWrite;
import org.carelake.core.schema.BronzeResourceSchema;
import org.carelake.core.schema.Lineage;
import org.carelake.core.schema.PatientSchema;
import org.carelake.core.spark.Seqs;
import org.carelake.core.spark.SparkSessions;
import org.carelake.core.schema.QuarantineSchema;
import org.carelake.pipelines.fhir.internal.Mappers;
import org.carelake.pipelines.fhir.internal.NdjsonPartitionParser;
import org.carelake.pipelines.fhir.internal.ParseKeys;
import org.carelake.pipelines.fhir.internal.ParseOutputs;
import org.carelake.pipelines.fhir.internal.ParsedSchema;
import org.carelake.pipelines.fhir.internal.ResourceMapper;
import org.carelake.pipelines.fhir.internal.WholeFileParser;
import org.carelake.pipelines.io.InputReadException;
import org.carelake.pipelines.io.LineInputFormat;

/**
 * Ingests FHIR R4 exports (Bulk Data NDJSON and per-patient Bundles, plain or gzip) into
 * {@code bronze.fhir_resource}, {@code bronze.fhir_quarantine} and the typed silver tables.
 *
 * <p>Each record is parsed once with HAPI inside Spark tasks; large NDJSON files, plain or gzip, are
 * split across tasks ({@link LineInputFormat}), and a file that cannot be read (e.g. a truncated
 * gzip) fails the run with its name before anything is written. All writes are MERGEs on natural
 * keys that skip unchanged rows, inside one {@link LakehouseTransaction}: re-running the same input
 * changes nothing, and a failed run leaves every table at its last good version.
 */
public final class FhirIngestJob {

  static final long MAX_SPLIT_BYTES = 16L * 1024 * 1024;

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final Pseudonymizer keys;
  private final Progress progress;
  private org.carelake.pipelines.quality.StepChecks checks = org.carelake.pipelines.quality.StepChecks.none();

  public FhirIngestJob(SparkSession spark, Lakehouse lakehouse, Pseudonymizer keys, Progress progress) {
    this.spark = spark;
    this.lakehouse = lakehouse;
    this.keys = keys;
    this.progress = progress;
  }

  /** The quality checks this step runs on the tables it changed, before it commits (default: none). */
  public FhirIngestJob checks(org.carelake.pipelines.quality.StepChecks checks) {
    this.checks = checks;
    return this;
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
    return execute(plan, false);
  }

  /**
   * @param force re-read files the manifest says were already ingested with the same content (e.g.
   *     after ingesting the Patients their quarantined resources referred to)
   */
  public FhirIngestResult execute(FhirInputPlan plan, boolean force) {
    String runId = UUID.randomUUID().toString();
    IngestManifest manifest = new IngestManifest(spark, lakehouse, "fhir");
    List<Path> all = new ArrayList<>(plan.ndjsonFiles());
    all.addAll(plan.jsonFiles());
    List<IngestManifest.Fingerprint> fingerprints = IngestManifest.fingerprint(all, progress);
    List<IngestManifest.Fingerprint> todo = force ? fingerprints : manifest.unseen(fingerprints);
    int skipped = fingerprints.size() - todo.size();
    if (todo.isEmpty()) {
      progress.detail("no new input: " + Progress.count(skipped, "file")
          + " already ingested with the same content (ops.ingest_manifest); nothing to read");
      return new FhirIngestResult(runId, 0, skipped, 0, 0, 0, 0, Map.of(), Map.of(), List.of());
    }
    if (skipped > 0) {
      progress.detail("skipping " + Progress.count(skipped, "file") + " already ingested with the same content (ops.ingest_manifest)");
    }
    java.util.Set<Path> wanted = new java.util.HashSet<>(todo.stream().map(IngestManifest.Fingerprint::path).toList());
    FhirInputPlan reading = new FhirInputPlan(plan.ndjsonFiles().stream().filter(wanted::contains).toList(),
        plan.jsonFiles().stream().filter(wanted::contains).toList());

    spark.sparkContext().setJobGroup("ingest-fhir-" + runId, "FHIR ingest " + runId, false);
    try {
      java.util.Optional<FhirIngestResult> done = executeInOnePass(reading, todo, skipped, runId, manifest);
      if (done.isPresent()) {
        return done.get();
      }
      return executeCached(reading, todo, skipped, runId, manifest);
    } finally {
      spark.sparkContext().clearJobGroup();
    }
  }

  /**
   * The ingest over a cached parse, each table written by its own scan of it: for inputs where the
   * reference check quarantines resources (see {@link #executeInOnePass}).
   */
  private FhirIngestResult executeCached(FhirInputPlan reading, List<IngestManifest.Fingerprint> todo, int skipped, String runId,
      IngestManifest manifest) {
    ParseKeys keys = parseKeys(reading, runId);
    Dataset<Row> parse = spark.internalCreateDataFrame(keys.rows().rdd(), ParsedSchema.SCHEMA, false);
    // Counted before the cache: rdd() of the cached plan is adaptive and would build the cache (run the
    // whole parse) right here; of the plain parse it only lists the input splits.
    int parsePartitions = parse.rdd().getNumPartitions();
    Dataset<Row> raw = parse.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      progress.detail("parsing " + reading.fileCount() + " files in " + parsePartitions + " tasks with HAPI FHIR R4");
      Dataset<Row> parsed = withReferencesChecked(raw);
      Tally tally = new Tally();
      for (Row r : parsed.groupBy(ParsedSchema.KIND, ParsedSchema.RESOURCE_TYPE, ParsedSchema.REASON_CODE).count().collectAsList()) {
        tally.add(r.getString(0), r.getString(1), r.getString(2), r.getLong(3));
      }
      Map<String, Long> accepted = tally.accepted;
      Map<String, Long> quarantined = tally.quarantined;
      java.util.Set<String> tombstoneTypes = tally.tombstoneTypes;
      long unchanged = lakehouse.exists(BronzeResourceSchema.TABLE) ? parsed.filter(col(ParsedSchema.KIND).equalTo(ParsedSchema.KIND_RESOURCE))
          .join(lakehouse.read(spark, BronzeResourceSchema.TABLE).select(
                  col(BronzeResourceSchema.RESOURCE_TYPE).as(ParsedSchema.RESOURCE_TYPE),
                  col(BronzeResourceSchema.RESOURCE_ID).as(ParsedSchema.RESOURCE_ID),
                  col(BronzeResourceSchema.CONTENT_HASH).as(ParsedSchema.CONTENT_HASH)),
              Seqs.of(ParsedSchema.RESOURCE_TYPE, ParsedSchema.RESOURCE_ID, ParsedSchema.CONTENT_HASH), "left_semi").count() : 0;
      List<TableWrite> writes = new ArrayList<>();
      // The parse tasks reported their keys while the first job above built the cached parse.
      java.util.Set<String> duplicated = keys.duplicated().orElseGet(() -> tablesWithDuplicateKeys(parsed));
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(WRITERS);
      try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
        DeltaWriter writer = writer(tx);
        Dataset<Row> tombstones = parsed.filter(col(ParsedSchema.KIND).equalTo(ParsedSchema.KIND_DELETE));
        // Tables are independent Delta tables: writing several at once overlaps one table's commit
        // and log work with another's tasks. The transaction still restores all of them on failure.
        List<java.util.concurrent.Callable<List<TableWrite>>> tasks = new ArrayList<>();
        long bronzeRows = tally.read - quarantined.values().stream().mapToLong(Long::longValue).sum();
        tasks.add(() -> List.of(upsertBronze(writer,
            sized(bronze(parsed, runId, duplicated.contains(ParseKeys.BRONZE)), bronzeRows, parsePartitions))));
        // With nothing quarantined, the table gets no rows without a scan of the parse (still created on a first run).
        Dataset<Row> quarantine = quarantined.isEmpty() ? quarantine(parsed, runId).limit(0) : quarantine(parsed, runId);
        tasks.add(() -> List.of(upsertQuarantine(writer, quarantine)));
        for (ResourceMapper mapper : Mappers.ALL) {
          boolean present = accepted.getOrDefault(mapper.resourceType(), 0L) > 0;
          boolean deletes = tombstoneTypes.contains(mapper.resourceType());
          tasks.add(() -> {
            List<TableWrite> done = new ArrayList<>();
            // A type absent from this input has nothing to merge (its table is still created on the first run).
            if (present || !lakehouse.exists(mapper.table())) {
              progress.detail("merging " + mapper.table());
              done.add(mergeSilver(writer, mapper, sized(silver(parsed, mapper), accepted.getOrDefault(mapper.resourceType(), 0L),
                  parsePartitions), duplicated.contains(mapper.table().name())));
            }
            if (deletes) {
              removeDeleted(writer, mapper, tombstones).ifPresent(done::add);
            }
            return done;
          });
        }
        for (java.util.concurrent.Future<List<TableWrite>> done : pool.invokeAll(tasks)) {
          writes.addAll(unwrap(done));
        }
        checks.run(spark, lakehouse, tx, "ingest fhir", progress);
        writes.add(manifest.record(writer, todo, runId));
        tx.commit();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("FHIR ingest interrupted; every table was restored", e);
      } finally {
        pool.shutdownNow();
      }
      return new FhirIngestResult(runId, reading.fileCount(), skipped, tally.read, unchanged, tally.deleted, deletedRows(writes),
          accepted, quarantined, writes);
    } catch (Exception e) { // Spark rethrows task failures as (undeclared) SparkException
      throw InputReadException.asBadInput(e);
    } finally {
      raw.unpersist();
    }
  }

  /** Delta's (internal) setting that stores a small table's file list in each commit's checksum file. */
  static final String ALL_FILES_IN_CHECKSUM = "spark.databricks.delta.allFilesInCrc.enabled";

  /** Where the one-pass ingest stages its files, under the lakehouse root. */
  static final String STAGING = "_staging";
  private static final String STAGING_PREFIX = "fhir-";

  /**
   * The ingest in one pass over the input: each parse task writes its rows straight to bronze's,
   * quarantine's and every silver table's files ({@link ParseOutputs}); a table the run creates gets
   * those files as its first version, a table that exists merges them. Nothing is cached, and the
   * input is parsed once. Empty when some resource refers to a patient that is neither in the input
   * nor in silver.patient: those are quarantined by {@link #executeCached}, which parses again (the
   * files written are discarded; no table was touched).
   */
  private java.util.Optional<FhirIngestResult> executeInOnePass(FhirInputPlan reading, List<IngestManifest.Fingerprint> todo,
      int skipped, String runId, IngestManifest manifest) {
    Path stagingRoot = lakehouse.root().resolve(STAGING);
    StagingFolders.removeAbandoned(stagingRoot, STAGING_PREFIX, "files of a FHIR ingest").forEach(progress::detail);
    Path staging = StagingFolders.create(stagingRoot, STAGING_PREFIX);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(COMMITTERS);
    try {
      // Each table's writer set-up reads its Delta log (if any) and plans its statistics: in parallel.
      List<java.util.concurrent.Future<TableFiles>> prepared = new ArrayList<>();
      for (ResourceMapper mapper : Mappers.ALL) {
        // A table's own key is unique per row: no dictionary (foreign keys such as patient_key repeat, and keep theirs).
        prepared.add(pool.submit(() -> TableFiles.prepare(spark, lakehouse, mapper.table(), mapper.schema(),
            statsColumns(mapper).toArray(new String[0]), staging, mapper.keyColumn())));
      }
      java.util.concurrent.Future<TableFiles> bronzeFiles = pool.submit(() -> TableFiles.prepare(spark, lakehouse,
          BronzeResourceSchema.TABLE, BronzeResourceSchema.SCHEMA, BRONZE_STATS_COLUMNS.toArray(new String[0]), staging));
      java.util.concurrent.Future<TableFiles> quarantineFiles = pool.submit(() -> TableFiles.prepare(spark, lakehouse,
          QuarantineSchema.TABLE, QuarantineSchema.SCHEMA, null, staging));
      List<TableFiles> silverFiles = new ArrayList<>();
      for (java.util.concurrent.Future<TableFiles> f : prepared) {
        silverFiles.add(unwrap(f));
      }
      ParseOutputs.Targets targets = new ParseOutputs.Targets(unwrap(bronzeFiles), unwrap(quarantineFiles), silverFiles);
      JavaRDD<InternalRow> parse = parseRows(reading, runId);
      progress.detail("parsing " + reading.fileCount() + " files in " + parse.getNumPartitions()
          + " tasks with HAPI FHIR R4, each writing its rows to every table's files");
      ParseOutputs.Summary pass = ParseOutputs.write(parse, targets, runId);

      java.util.Set<String> dangling = new java.util.HashSet<>(pass.referenced());
      dangling.removeAll(pass.patients());
      if (!dangling.isEmpty() && lakehouse.exists(PatientSchema.TABLE)) {
        lakehouse.read(spark, PatientSchema.TABLE).select(PatientSchema.PATIENT_KEY).collectAsList()
            .forEach(r -> dangling.remove(r.getString(0)));
      }
      if (!dangling.isEmpty()) {
        progress.detail("resources refer to " + Progress.count(dangling.size(), "patient") + " neither in this input nor in "
            + PatientSchema.TABLE + ": parsing again to quarantine them");
        return java.util.Optional.empty();
      }

      Tally tally = new Tally();
      pass.counts().forEach((key, n) -> tally.add(key.get(0), key.get(1), key.get(2), n));
      Map<String, Long> accepted = tally.accepted;
      Map<String, Long> quarantined = tally.quarantined;
      java.util.Set<String> tombstoneTypes = tally.tombstoneTypes;
      long unchanged = 0;
      if (lakehouse.exists(BronzeResourceSchema.TABLE)) {
        unchanged = targets.bronze().read(spark, pass.bronzeFiles()).filter(col(BronzeResourceSchema.DELETED).equalTo(false))
            .join(lakehouse.read(spark, BronzeResourceSchema.TABLE), Seqs.of(BronzeResourceSchema.RESOURCE_TYPE,
                BronzeResourceSchema.RESOURCE_ID, BronzeResourceSchema.CONTENT_HASH), "left_semi").count();
      }
      java.util.Set<String> duplicated = pass.duplicated();
      Dataset<Row> tombstones = tombstones(pass.tombstones());
      List<TableWrite> writes = new ArrayList<>();
      // Delta lists a table's files in each commit's checksum file; for a table the commit creates, it
      // gets the (empty) list of the version before by planning and running a query, about 40 ms of
      // driver work per table, 16 tables per first ingest. Without that list, readers of these
      // small tables replay their log instead (one commit to read); every other checksum field is kept.
      try (SparkSessions.Setting noFileListInChecksums = SparkSessions.set(spark, ALL_FILES_IN_CHECKSUM, "false");
          LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
        DeltaWriter writer = writer(tx);
        List<java.util.concurrent.Callable<List<TableWrite>>> tasks = new ArrayList<>();
        // The manifest too: the transaction restores it with the tables if a write or a check fails.
        // Submitted first, as its append runs a Spark job, the longest of these writes; listed last.
        tasks.add(() -> List.of(manifest.record(writer, todo, runId)));
        tasks.add(() -> List.of(targets.bronze().forNewTable() && !duplicated.contains(ParseKeys.BRONZE)
            ? writer.create(targets.bronze(), pass.bronzeFiles())
            : upsertBronze(writer, bronzeRows(targets.bronze().read(spark, pass.bronzeFiles()), duplicated.contains(ParseKeys.BRONZE)))));
        // Quarantine rows are unique by (file, position): one pass reads each record once.
        tasks.add(() -> List.of(targets.quarantine().forNewTable()
            ? writer.create(targets.quarantine(), pass.quarantineFiles())
            : upsertQuarantine(writer, targets.quarantine().read(spark, pass.quarantineFiles()))));
        for (int i = 0; i < Mappers.ALL.size(); i++) {
          ResourceMapper mapper = Mappers.ALL.get(i);
          TableFiles files = silverFiles.get(i);
          List<TableFiles.File> written = pass.silverFiles(i);
          boolean present = accepted.getOrDefault(mapper.resourceType(), 0L) > 0;
          boolean deletes = tombstoneTypes.contains(mapper.resourceType());
          boolean twice = duplicated.contains(mapper.table().name());
          tasks.add(() -> {
            List<TableWrite> done = new ArrayList<>();
            if (files.forNewTable() && !twice) {
              progress.detail("creating " + mapper.table());
              done.add(writer.create(files, written));
            } else if (present || !lakehouse.exists(mapper.table())) {
              progress.detail("merging " + mapper.table());
              done.add(mergeSilver(writer, mapper, files.read(spark, written), twice));
            }
            if (deletes) {
              removeDeleted(writer, mapper, tombstones).ifPresent(done::add);
            }
            return done;
          });
        }
        List<java.util.concurrent.Future<List<TableWrite>>> done = pool.invokeAll(tasks);
        for (java.util.concurrent.Future<List<TableWrite>> table : done.subList(1, done.size())) {
          writes.addAll(unwrap(table));
        }
        writes.addAll(unwrap(done.get(0)));
        checks.run(spark, lakehouse, tx, "ingest fhir", progress);
        tx.commit();
      }
      return java.util.Optional.of(new FhirIngestResult(runId, reading.fileCount(), skipped, tally.read, unchanged, tally.deleted,
          deletedRows(writes), accepted, quarantined, writes));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("FHIR ingest interrupted; every table was restored", e);
    } catch (Exception e) { // Spark rethrows task failures as (undeclared) SparkException
      throw InputReadException.asBadInput(e);
    } finally {
      pool.shutdownNow();
      StagingFolders.removeQuietly(staging);
    }
  }

  /** The pass's tombstones as rows of the parse's tombstone columns. */
  private Dataset<Row> tombstones(List<ParseOutputs.Tombstone> tombstones) {
    List<Row> rows = new ArrayList<>();
    for (ParseOutputs.Tombstone t : tombstones) {
      rows.add(org.apache.spark.sql.RowFactory.create(t.resourceType(), t.deletedKey(), t.lastUpdatedMicros() == null ? null
          : org.apache.spark.sql.catalyst.util.DateTimeUtils.toJavaTimestamp(t.lastUpdatedMicros())));
    }
    return spark.createDataFrame(rows, org.apache.spark.sql.types.DataTypes.createStructType(List.of(
        org.apache.spark.sql.types.DataTypes.createStructField(ParsedSchema.RESOURCE_TYPE, org.apache.spark.sql.types.DataTypes.StringType, true),
        org.apache.spark.sql.types.DataTypes.createStructField(ParsedSchema.DELETED_KEY, org.apache.spark.sql.types.DataTypes.StringType, true),
        org.apache.spark.sql.types.DataTypes.createStructField(ParsedSchema.LAST_UPDATED, org.apache.spark.sql.types.DataTypes.TimestampType,
            true))));
  }

  /** Staged bronze rows, one per key when the input repeats one. */
  private static Dataset<Row> bronzeRows(Dataset<Row> staged, boolean deduplicate) {
    return deduplicate
        ? firstPerKey(staged, BronzeResourceSchema.RESOURCE_TYPE, BronzeResourceSchema.RESOURCE_ID, BronzeResourceSchema.CONTENT_HASH)
        : staged;
  }

  private static TableWrite upsertBronze(DeltaWriter writer, Dataset<Row> rows) {
    return writer.upsert(rows, BronzeResourceSchema.TABLE,
        List.of(BronzeResourceSchema.RESOURCE_TYPE, BronzeResourceSchema.RESOURCE_ID, BronzeResourceSchema.CONTENT_HASH),
        BronzeResourceSchema.CONTENT_HASH, null);
  }

  private static TableWrite upsertQuarantine(DeltaWriter writer, Dataset<Row> rows) {
    return writer.upsert(rows, QuarantineSchema.TABLE,
        List.of(QuarantineSchema.SOURCE_FILE, QuarantineSchema.SOURCE_POSITION, QuarantineSchema.CONTENT_HASH),
        QuarantineSchema.CONTENT_HASH, null);
  }

  /** Merges a type's rows into its silver table (newer versions win), the newest per key first when the input repeats keys. */
  private static TableWrite mergeSilver(DeltaWriter writer, ResourceMapper mapper, Dataset<Row> rows, boolean keysRepeat) {
    return writer.upsert(keysRepeat ? latestPerKey(rows, mapper.keyColumn()) : rows, mapper.table(), List.of(mapper.keyColumn()),
        Lineage.CONTENT_HASH, NEWER);
  }

  /** Removes the rows this run's tombstones delete from a silver table; the write when it changed the table. */
  private java.util.Optional<TableWrite> removeDeleted(DeltaWriter writer, ResourceMapper mapper, Dataset<Row> tombstones) {
    if (!lakehouse.exists(mapper.table())) {
      return java.util.Optional.empty();
    }
    TableWrite removal = writer.delete(deletions(tombstones, mapper), mapper.table(), List.of(mapper.keyColumn()));
    return removal.versionAfter() != removal.versionBefore() ? java.util.Optional.of(removal) : java.util.Optional.empty();
  }

  /** The reconciliation's counts, from the parse's rows counted per (kind, resource type, reason code). */
  private static final class Tally {
    final Map<String, Long> accepted = new TreeMap<>();
    final Map<String, Long> quarantined = new TreeMap<>();
    final java.util.Set<String> tombstoneTypes = new java.util.HashSet<>();
    long read;
    long deleted;

    void add(String kind, String resourceType, String reasonCode, long n) {
      read += n;
      switch (kind) {
        case ParsedSchema.KIND_RESOURCE -> accepted.merge(resourceType, n, Long::sum);
        case ParsedSchema.KIND_DELETE -> {
          deleted += n;
          tombstoneTypes.add(resourceType);
        }
        default -> quarantined.merge(reasonCode, n, Long::sum);
      }
    }
  }

  /** A writer for this ingest's tables: new tables keep Delta statistics for their keys and times only. */
  private DeltaWriter writer(LakehouseTransaction tx) {
    DeltaWriter writer = new DeltaWriter(spark, lakehouse, tx)
        .statsColumnsOfNewTable(BronzeResourceSchema.TABLE, BRONZE_STATS_COLUMNS.toArray(new String[0]));
    for (ResourceMapper mapper : Mappers.ALL) {
      writer.statsColumnsOfNewTable(mapper.table(), statsColumns(mapper).toArray(new String[0]));
    }
    return writer;
  }

  /** Bronze's columns with Delta statistics: what reads of raw resources filter on (not the raw JSON and hashes). */
  static final List<String> BRONZE_STATS_COLUMNS =
      List.of(BronzeResourceSchema.RESOURCE_TYPE, BronzeResourceSchema.RESOURCE_ID, BronzeResourceSchema.LAST_UPDATED);

  /**
   * A silver table's columns with Delta statistics (min, max, null count per file): its key, the
   * patient key, and its top-level times and dates, which point-in-time and cohort reads filter on.
   * Delta's default (the first 32 columns, nested fields included) made every write compare codes,
   * displays and units of every row; it was about a fifth of the write tasks' time.
   */
  static List<String> statsColumns(ResourceMapper mapper) {
    List<String> out = new ArrayList<>();
    out.add(mapper.keyColumn());
    for (org.apache.spark.sql.types.StructField f : mapper.schema().fields()) {
      boolean time = f.dataType() instanceof org.apache.spark.sql.types.TimestampType
          || f.dataType() instanceof org.apache.spark.sql.types.DateType;
      if ((f.name().equals(PatientSchema.PATIENT_KEY) || time) && !out.contains(f.name())) {
        out.add(f.name());
      }
    }
    return out;
  }

  /** Parallel table writers: enough to overlap Delta's per-table driver work with tasks on a small machine. */
  private static final int WRITERS = 3;

  /**
   * Parallel table set-ups and writers of the one-pass ingest: short driver work per table (a Delta
   * log read, a commit, a catalog entry), none of it on the executors' cores. Not measured against 3.
   */
  private static final int COMMITTERS = 8;

  private static <T> T unwrap(java.util.concurrent.Future<T> done) throws InterruptedException {
    try {
      return done.get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * The tables (and {@link ParseKeys#BRONZE}) whose keys occur more than once in this input, found in
   * one aggregation over keys only: only those need the de-duplicating shuffle of whole rows. Used
   * when the parse tasks' own key reports ({@link ParseKeys}) are incomplete. Keys
   * are compared by a 64-bit hash, not as strings: a collision can only make a table look
   * duplicated, which costs that table the de-duplicating shuffle, never a row.
   */
  private static java.util.Set<String> tablesWithDuplicateKeys(Dataset<Row> parsed) {
    // A silver row's key is a keyed hash of its type and id, so keys repeat exactly where (type, id)
    // does among accepted resources: read from the parse's flat columns, not from each type's struct
    // (which the in-memory cache would decode for every row).
    Column silverTable = lit(null).cast("string");
    for (ResourceMapper mapper : Mappers.ALL) {
      silverTable = when(col(ParsedSchema.RESOURCE_TYPE).equalTo(mapper.resourceType()), lit(mapper.table().name())).otherwise(silverTable);
    }
    Column accepted = col(ParsedSchema.KIND).equalTo(ParsedSchema.KIND_RESOURCE);
    silverTable = when(accepted, silverTable);
    Column silverKey = when(accepted, org.apache.spark.sql.functions.xxhash64(col(ParsedSchema.RESOURCE_TYPE), col(ParsedSchema.RESOURCE_ID)));
    Column bronzeKey = when(col(ParsedSchema.KIND).isin(ParsedSchema.KIND_RESOURCE, ParsedSchema.KIND_DELETE),
        org.apache.spark.sql.functions.xxhash64(col(ParsedSchema.RESOURCE_TYPE), col(ParsedSchema.RESOURCE_ID),
            col(ParsedSchema.CONTENT_HASH)));
    Dataset<Row> keys = parsed.select(org.apache.spark.sql.functions.explode(org.apache.spark.sql.functions.array(
        org.apache.spark.sql.functions.struct(lit(ParseKeys.BRONZE).as("t"), bronzeKey.as("k")),
        org.apache.spark.sql.functions.struct(silverTable.as("t"), silverKey.as("k")))).as("e"))
        .select(col("e.t").as("t"), col("e.k").as("k"))
        .filter(col("t").isNotNull().and(col("k").isNotNull()));
    java.util.Set<String> out = new java.util.HashSet<>();
    keys.groupBy("t", "k").count().filter(col("count").gt(1)).select("t").distinct().collectAsList()
        .forEach(r -> out.add(r.getString(0)));
    return out;
  }

  private static long deletedRows(List<TableWrite> writes) {
    return writes.stream().filter(w -> !w.table().equals(BronzeResourceSchema.TABLE)).mapToLong(TableWrite::deleted).sum();
  }

  /**
   * The silver keys a run's tombstones remove from one table: a tombstone does not remove a row
   * the source updated after the deletion (both times known).
   */
  private Dataset<Row> deletions(Dataset<Row> tombstones, ResourceMapper mapper) {
    Dataset<Row> mine = tombstones.filter(col(ParsedSchema.RESOURCE_TYPE).equalTo(mapper.resourceType()))
        .groupBy(col(ParsedSchema.DELETED_KEY).as("_key"))
        .agg(org.apache.spark.sql.functions.max(ParsedSchema.LAST_UPDATED).as("_deleted_at"));
    Dataset<Row> current = lakehouse.read(spark, mapper.table()).select(col(mapper.keyColumn()), col(Lineage.LAST_UPDATED));
    return current.join(mine, current.col(mapper.keyColumn()).equalTo(mine.col("_key")))
        .filter(col("_deleted_at").isNull().or(col(Lineage.LAST_UPDATED).isNull()).or(col(Lineage.LAST_UPDATED).leq(col("_deleted_at"))))
        .select(col(mapper.keyColumn()));
  }

  /**
   * Quarantines resources whose patient is neither in this input nor already in silver.patient (a
   * reference to nothing), so silver never holds rows that no patient owns.
   */
  private Dataset<Row> withReferencesChecked(Dataset<Row> parsed) {
    List<Column> refs = new ArrayList<>();
    for (ResourceMapper mapper : Mappers.ALL) {
      if (!mapper.table().equals(PatientSchema.TABLE) && List.of(mapper.schema().fieldNames()).contains(PatientSchema.PATIENT_KEY)) {
        refs.add(col(mapper.table().name() + "." + PatientSchema.PATIENT_KEY));
      }
    }
    // The known patients (this input's and silver's) are few next to the resources: a broadcast set
    // checked in a projection, so every later read of the parse stays a scan of the cached rows.
    java.util.Set<String> known = new java.util.HashSet<>();
    parsed.filter(col(PatientSchema.TABLE.name()).isNotNull()).select(col(PatientSchema.TABLE.name() + "." + PatientSchema.PATIENT_KEY))
        .collectAsList().forEach(r -> known.add(r.getString(0)));
    if (lakehouse.exists(PatientSchema.TABLE)) {
      lakehouse.read(spark, PatientSchema.TABLE).select(PatientSchema.PATIENT_KEY).collectAsList().forEach(r -> known.add(r.getString(0)));
    }
    org.apache.spark.broadcast.Broadcast<java.util.Set<String>> knownPatients =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(known);
    org.apache.spark.sql.expressions.UserDefinedFunction isKnown = org.apache.spark.sql.functions.udf(
        (org.apache.spark.sql.api.java.UDF1<String, Boolean>) key -> key == null || knownPatients.value().contains(key),
        org.apache.spark.sql.types.DataTypes.BooleanType);
    Column dangling = col(ParsedSchema.KIND).equalTo(ParsedSchema.KIND_RESOURCE)
        .and(org.apache.spark.sql.functions.not(isKnown.apply(org.apache.spark.sql.functions.coalesce(refs.toArray(new Column[0])))));
    List<Column> out = new ArrayList<>();
    for (String field : ParsedSchema.SCHEMA.fieldNames()) {
      Column c = switch (field) {
        case ParsedSchema.KIND -> when(dangling, lit(ParsedSchema.KIND_QUARANTINE)).otherwise(col(field));
        case ParsedSchema.REASON_CODE -> when(dangling, lit(QuarantineSchema.Reason.DANGLING_REFERENCE.name())).otherwise(col(field));
        case ParsedSchema.REASON -> when(dangling, org.apache.spark.sql.functions.concat(col(ParsedSchema.RESOURCE_TYPE),
            lit(" refers to a Patient that is neither in this input nor in silver.patient, so no patient would own it. "
                + "Fix: include the Patient in the export (or ingest it first), then re-run with --force.")))
            .otherwise(col(field));
        default -> Mappers.ALL.stream().anyMatch(m -> m.table().name().equals(field)) ? when(dangling, lit(null)).otherwise(col(field))
            : col(field);
      };
      out.add(c.as(field));
    }
    return parsed.select(out.toArray(new Column[0]));
  }

  /**
   * A source row replaces the silver row unless the silver row is known to be newer: by
   * meta.versionId when both are numbers and differ, else by meta.lastUpdated when both are known.
   */
  static final String NEWER = "CASE WHEN try_cast(s." + Lineage.VERSION_ID + " AS BIGINT) IS NOT NULL AND try_cast(t."
      + Lineage.VERSION_ID + " AS BIGINT) IS NOT NULL AND try_cast(s." + Lineage.VERSION_ID + " AS BIGINT) <> try_cast(t."
      + Lineage.VERSION_ID + " AS BIGINT) THEN try_cast(s." + Lineage.VERSION_ID + " AS BIGINT) > try_cast(t." + Lineage.VERSION_ID
      + " AS BIGINT) WHEN s." + Lineage.LAST_UPDATED + " IS NOT NULL AND t." + Lineage.LAST_UPDATED + " IS NOT NULL THEN s."
      + Lineage.LAST_UPDATED + " >= t." + Lineage.LAST_UPDATED + " ELSE true END";

  /** The parse of {@code plan}'s files as Spark's rows, its tasks reporting their keys. */
  ParseKeys parseKeys(FhirInputPlan plan, String runId) {
    return ParseKeys.tracking(spark.sparkContext(), parseRows(plan, runId));
  }

  /** The parse of {@code plan}'s files as Spark's rows. */
  private JavaRDD<InternalRow> parseRows(FhirInputPlan plan, String runId) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<InternalRow> rows = jsc.emptyRDD();
    if (!plan.ndjsonFiles().isEmpty()) {
      JavaNewHadoopRDD<LongWritable, Text> lines = LineInputFormat.read(jsc, join(plan.ndjsonFiles()), MAX_SPLIT_BYTES);
      rows = rows.union(lines.mapPartitionsWithInputSplit(new NdjsonPartitionParser(keys, runId), false));
    }
    if (!plan.jsonFiles().isEmpty()) {
      rows = rows.union(jsc.binaryFiles(join(plan.jsonFiles())).flatMap(new WholeFileParser(keys, runId)));
    }
    return rows;
  }

  /**
   * Hadoop's comma-separated input list: plain local paths (not percent-encoded URIs, which Hadoop
   * would not decode: non-ASCII file names exist in real exports), with commas escaped.
   */
  private static String join(List<Path> files) {
    return LineInputFormat.inputList(files.stream().map(p -> p.toAbsolutePath().toString()).toList());
  }

  private static Dataset<Row> bronze(Dataset<Row> parsed, String runId, boolean deduplicate) {
    Dataset<Row> rows = parsed.filter(col(ParsedSchema.KIND).isin(ParsedSchema.KIND_RESOURCE, ParsedSchema.KIND_DELETE)).select(
        col(ParsedSchema.RESOURCE_TYPE).as(BronzeResourceSchema.RESOURCE_TYPE),
        col(ParsedSchema.RESOURCE_ID).as(BronzeResourceSchema.RESOURCE_ID),
        col(ParsedSchema.VERSION_ID).as(BronzeResourceSchema.VERSION_ID),
        col(ParsedSchema.LAST_UPDATED).as(BronzeResourceSchema.LAST_UPDATED),
        col(ParsedSchema.CONTENT_HASH).as(BronzeResourceSchema.CONTENT_HASH),
        col(ParsedSchema.RAW_JSON).as(BronzeResourceSchema.RAW_JSON),
        col(ParsedSchema.SOURCE_FILE).as(BronzeResourceSchema.SOURCE_FILE),
        col(ParsedSchema.SOURCE_POSITION).as(BronzeResourceSchema.SOURCE_POSITION),
        col(ParsedSchema.SOURCE_POSITION_KIND).as(BronzeResourceSchema.SOURCE_POSITION_KIND),
        lit(runId).as(BronzeResourceSchema.INGEST_RUN_ID),
        col(ParsedSchema.KIND).equalTo(ParsedSchema.KIND_DELETE).as(BronzeResourceSchema.DELETED));
    return deduplicate
        ? firstPerKey(rows, BronzeResourceSchema.RESOURCE_TYPE, BronzeResourceSchema.RESOURCE_ID, BronzeResourceSchema.CONTENT_HASH)
        : rows;
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

  /**
   * A type's rows. The filter on the parse's own resource_type column comes first: Spark evaluates
   * it below the reference check's projection (so that check runs on this type's rows only, not on
   * every row once per table) and skips cached batches that hold no row of the type.
   */
  private static Dataset<Row> silver(Dataset<Row> parsed, ResourceMapper mapper) {
    String struct = mapper.table().name();
    return parsed.filter(col(ParsedSchema.RESOURCE_TYPE).equalTo(mapper.resourceType())).filter(col(struct).isNotNull())
        .select(col(struct + ".*"));
  }

  /**
   * About {@link #ROWS_PER_WRITE_TASK} rows per write task, at most the parse's partitions: a table
   * of a few hundred rows is written by one task as one file, not by every parse partition (each
   * task of a Delta write sets up a Parquet writer and generates Delta's statistics code).
   */
  static Dataset<Row> sized(Dataset<Row> rows, long count, int parsePartitions) {
    // The parse's partition count, not rows.rdd(): on a plan with a shuffle (de-duplicated bronze)
    // that would run the shuffle's stages once just to count them. A coalesce never adds partitions.
    long wanted = Math.max(1, (count + ROWS_PER_WRITE_TASK - 1) / ROWS_PER_WRITE_TASK);
    return wanted < parsePartitions ? rows.coalesce((int) wanted) : rows;
  }

  static final long ROWS_PER_WRITE_TASK = 50_000;

  /** One row per key: the newest by numeric versionId, then lastUpdated, then content hash (deterministic). */
  private static Dataset<Row> latestPerKey(Dataset<Row> rows, String key) {
    return rows.withColumn("_rank", row_number().over(Window.partitionBy(key).orderBy(
            org.apache.spark.sql.functions.expr("try_cast(" + Lineage.VERSION_ID + " AS BIGINT)").desc_nulls_last(),
            desc_nulls_last(Lineage.LAST_UPDATED), col(Lineage.CONTENT_HASH))))
        .filter(col("_rank").equalTo(1)).drop("_rank");
  }

  private static Dataset<Row> firstPerKey(Dataset<Row> rows, String... keys) {
    return rows.dropDuplicates(keys);
  }
}
