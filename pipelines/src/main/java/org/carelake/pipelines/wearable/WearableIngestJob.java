package org.carelake.pipelines.wearable;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;
import static org.apache.spark.sql.functions.sum;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.carelake.core.CareLakeException;
import org.carelake.core.DeltaWriter;
import org.carelake.core.IngestManifest;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.Progress;
import org.carelake.core.Pseudonymizer;
import org.carelake.core.TableWrite;
import org.carelake.core.io.MoreFiles;
import org.carelake.core.schema.PatientSchema;
import org.carelake.core.schema.QuarantineSchema;
import org.carelake.core.schema.WearableDailySchema;
import org.carelake.core.schema.WearableMeasurementSchema;
import org.carelake.core.schema.WearableMeasurementSchema.Metric;
import org.carelake.core.spark.Seqs;
import org.carelake.core.spark.SparkSessions;
import org.carelake.pipelines.io.InputReadException;
import org.carelake.pipelines.io.LineInputFormat;
import org.carelake.pipelines.io.TaskReports;

/**
 * Ingests wearable exports (Fitabase Fitbit CSVs, Open mHealth JSON, the generic long CSV; plain,
 * gzip or zip) into {@code silver.wearable_measurement}, keeps rejected records in
 * {@code bronze.wearable_quarantine}, and updates {@code gold.wearable_daily} for exactly the
 * patient-days whose measurements changed.
 *
 * <p>Lines are parsed inside Spark tasks, a large file split across many. The same measurement
 * (device, metric, time span) from overlapping exports is stored once; a later run's different
 * value for it replaces the stored one (late corrections win). All writes are in one
 * {@link LakehouseTransaction}: a failed run leaves every table at its last good version.
 */
public final class WearableIngestJob {

  public static final String PIPELINE = "wearable";
  private static final long MAX_SPLIT_BYTES = 32L * 1024 * 1024;

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final Pseudonymizer keys;
  private final Progress progress;
  private org.carelake.pipelines.quality.StepChecks checks = org.carelake.pipelines.quality.StepChecks.none();

  public WearableIngestJob(SparkSession spark, Lakehouse lakehouse, Pseudonymizer keys, Progress progress) {
    this.spark = spark;
    this.lakehouse = lakehouse;
    this.keys = keys;
    this.progress = progress;
  }

  /** The quality checks this step runs on the tables it changed, before it commits (default: none). */
  public WearableIngestJob checks(org.carelake.pipelines.quality.StepChecks checks) {
    this.checks = checks;
    return this;
  }

  /** How a planned file is read. */
  public enum Kind { CSV, NDJSON, JSON }

  /**
   * One input to read: a file, or a CSV inside a zip archive ({@code zipEntry}). {@code format} is
   * the CSV layout its header names, null when it names none (its lines are quarantined).
   */
  public record PlannedFile(Path path, String zipEntry, String displayName, Kind kind, WearableFormat format) {}

  /**
   * @param files what will be read
   * @param notIngested recognised files holding no metric of the vocabulary, with why (reported, not read)
   * @param ignored files that are not wearable inputs by their name (.csv, .json, .ndjson, .jsonl, .zip, optionally .gz)
   */
  public record WearablePlan(List<PlannedFile> files, Map<String, String> notIngested, List<Path> ignored) {}

  /** The inputs under {@code input}, their layouts detected from their headers (no Spark job). */
  public static WearablePlan plan(Path input) {
    if (!Files.exists(input) || !Files.isReadable(input)) {
      throw CareLakeException.badInput("Cannot read wearable input " + input + ": no such file or folder, or not readable.",
          "pass --input a folder or file of Fitabase CSVs, Open mHealth JSON or generic CSV (plain, .gz or .zip).");
    }
    List<PlannedFile> files = new ArrayList<>();
    Map<String, String> notIngested = new LinkedHashMap<>();
    List<Path> ignored = new ArrayList<>();
    List<Path> all;
    try (Stream<Path> walk = Files.isDirectory(input) ? Files.walk(input, java.nio.file.FileVisitOption.FOLLOW_LINKS) : Stream.of(input)) {
      all = walk.filter(Files::isRegularFile).map(Path::toAbsolutePath).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Path p : all) {
      String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
      String base = name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
      if (base.endsWith(".csv")) {
        addCsv(files, notIngested, p, null, p.toString(), firstLine(p, null));
      } else if (name.endsWith(".zip")) {
        try (ZipFile zip = new ZipFile(p.toFile())) {
          for (ZipEntry e : zip.stream().filter(e -> !e.isDirectory()).sorted(java.util.Comparator.comparing(ZipEntry::getName)).toList()) {
            if (e.getName().toLowerCase(Locale.ROOT).endsWith(".csv")) {
              addCsv(files, notIngested, p, e.getName(), p + "!" + e.getName(), firstLine(p, e.getName()));
            } else {
              notIngested.put(p + "!" + e.getName(), "not a CSV file inside the archive");
            }
          }
        } catch (IOException e) {
          throw CareLakeException.badInput("Cannot read the zip archive " + p + ": " + CareLakeException.reason(e) + ".",
              "check the archive is complete (unzip -t), or pass the CSV files it holds.");
        }
      } else if (base.endsWith(".ndjson") || base.endsWith(".jsonl")) {
        files.add(new PlannedFile(p, null, p.toString(), Kind.NDJSON, null));
      } else if (base.endsWith(".json")) {
        files.add(new PlannedFile(p, null, p.toString(), Kind.JSON, null));
      } else {
        ignored.add(p);
      }
    }
    if (files.isEmpty()) {
      throw CareLakeException.badInput("No wearable input in " + input + (notIngested.isEmpty() ? "" : " (only files with no metric CareLake "
              + "ingests: " + String.join(", ", notIngested.keySet()) + ")") + ".",
          "wearable inputs are .csv, .json, .ndjson or .jsonl files (optionally .gz) or .zip archives of CSVs.");
    }
    return new WearablePlan(files, notIngested, ignored);
  }

  private static void addCsv(List<PlannedFile> files, Map<String, String> notIngested, Path p, String entry, String display,
      String header) {
    WearableFormat format = header == null ? null : WearableFormat.detect(new RecordParser(null, null).cells(header)).orElse(null);
    if (format != null && !format.supported()) {
      notIngested.put(display, format.id() + ": holds no metric of the vocabulary " + java.util.Arrays.stream(Metric.values())
          .map(Metric::id).toList());
      return;
    }
    files.add(new PlannedFile(p, entry, display, Kind.CSV, format));
  }

  private static String firstLine(Path file, String zipEntry) {
    try {
      if (zipEntry != null) {
        try (ZipFile zip = new ZipFile(file.toFile()); InputStream in = zip.getInputStream(zip.getEntry(zipEntry))) {
          return readLine(in);
        }
      }
      try (InputStream raw = Files.newInputStream(file);
          InputStream in = file.toString().toLowerCase(Locale.ROOT).endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
        return readLine(in);
      }
    } catch (IOException e) {
      throw CareLakeException.badInput("Cannot read " + file + (zipEntry == null ? "" : "!" + zipEntry) + ": " + CareLakeException.reason(e) + ".",
          "check the file is complete and readable (a truncated .gz cannot be read).");
    }
  }

  private static String readLine(InputStream in) throws IOException {
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
  }

  /**
   * @param devicesFile devices.csv: device or user ids to patients and time zones
   * @param defaultDeviceId the device of Open mHealth data points that name no user (may be null)
   * @param force re-read files the manifest says were ingested with the same content
   */
  public WearableIngestResult execute(WearablePlan plan, Path devicesFile, String defaultDeviceId, boolean force) {
    DeviceMap devices = DeviceMap.load(devicesFile, keys);
    String runId = UUID.randomUUID().toString();
    java.time.Instant startedAt = java.time.Instant.now();
    IngestManifest manifest = new IngestManifest(spark, lakehouse, PIPELINE);
    List<Path> physical = plan.files().stream().map(PlannedFile::path).distinct().toList();
    List<IngestManifest.Fingerprint> fingerprints = new ArrayList<>(IngestManifest.fingerprint(physical, progress));
    IngestManifest.Fingerprint devicesPrint = IngestManifest.fingerprint(List.of(devicesFile.toAbsolutePath()), Progress.silent()).get(0);
    // A changed device map changes what every file means (patients, time zones): re-read them all.
    boolean devicesChanged = !manifest.unseen(List.of(devicesPrint)).isEmpty();
    List<IngestManifest.Fingerprint> unseen = manifest.unseen(fingerprints);
    List<IngestManifest.Fingerprint> todo = force || devicesChanged ? fingerprints : unseen;
    int skipped = fingerprints.size() - todo.size();
    if (todo.isEmpty()) {
      progress.detail("no new input: " + Progress.count(skipped, "file")
          + " already ingested with the same content and device map (ops.ingest_manifest)");
      return new WearableIngestResult(runId, 0, skipped, plan.notIngested(), Map.of(), 0, Map.of(), 0, 0, 0, 0, 0, 0, 0, List.of());
    }
    if (devicesChanged && !force && unseen.size() < fingerprints.size()) {
      progress.detail("the device map is new or changed: reading every file again");
    } else if (skipped > 0) {
      progress.detail("skipping " + Progress.count(skipped, "file") + " already ingested with the same content (ops.ingest_manifest)");
    }
    Set<Path> wanted = todo.stream().map(IngestManifest.Fingerprint::path).collect(Collectors.toSet());
    List<PlannedFile> reading = plan.files().stream().filter(f -> wanted.contains(f.path())).toList();
    Set<Path> newContent = unseen.stream().map(IngestManifest.Fingerprint::path).collect(Collectors.toSet());
    // silver.wearable_source_file names the run that first read a file's current content: a forced re-read keeps it.
    List<PlannedFile> firstRead = reading.stream().filter(f -> newContent.contains(f.path())).toList();
    List<IngestManifest.Fingerprint> recorded = new ArrayList<>(todo);
    recorded.add(devicesPrint);

    Path staging = lakehouse.root().resolve("_staging").resolve("wearable-" + runId);
    spark.sparkContext().setJobGroup("ingest-wearable-" + runId, "wearable ingest " + runId, false);
    KeptRows parsed = null;
    // Without Spark's two-level aggregation map (a small first-level map in front of the regular one), which copies every
    // row's string keys to hash them and holds fewer groups than the daily table's per-minute ones: the ingest was about 12%
    // faster in alternating runs (docs/benchmarks.md). Scoped to this job's queries.
    try (SparkSessions.Setting oneLevel = SparkSessions.set(spark, "spark.sql.codegen.aggregate.map.twolevel.enabled", "false")) {
      progress.detail("parsing " + reading.size() + " files (" + devices.size() + " devices mapped)");
      Parse parse = parse(reading, new RecordParser(devices, defaultDeviceId), staging);
      parsed = parse.rows();
      // One job runs the whole parse and keeps its rows; its tasks tally the reconciliation counts on the way.
      parsed.compute();
      ParseCounts.Counts counts = ParseCounts.counts(parse.counts()).orElseGet(() -> ParseCounts.byQuery(parse.rows().rows()));
      return write(plan, parsed.rows(), counts, parse.keys(), devices, new Run(runId, startedAt, firstRead), reading, recorded, skipped, manifest);
    } catch (Exception e) { // Spark rethrows task failures as (undeclared) SparkException
      throw InputReadException.asBadInput(e);
    } finally {
      if (parsed != null) {
        parsed.close();
      }
      MoreFiles.deleteRecursively(staging);
      spark.sparkContext().clearJobGroup();
    }
  }

  private WearableIngestResult write(WearablePlan plan, Dataset<Row> parsed, ParseCounts.Counts counts, TaskReports<KeyRanges.Span> keys,
      DeviceMap devices, Run run,
      List<PlannedFile> reading,
      List<IngestManifest.Fingerprint> recorded, int skipped, IngestManifest manifest) {
    String runId = run.id();
    Map<String, Long> byFormat = new TreeMap<>(counts.byFormat());
    Map<String, Long> quarantined = new TreeMap<>(counts.quarantined());
    long acceptedRecords = counts.acceptedRecords();
    long measurementCount = counts.measurements();
    long sessionRows = counts.sessionRows();
    long sleepRows = counts.sleepRows();
    Dataset<Row> measurements = parsed.filter(ParsedMeasurement.isMeasurement());
    if (sessionRows > 0) {
      measurements = withSleepSessions(measurements);
    }
    Dataset<Row> overSlept = sleepRows > 0 ? sleepOver24h(measurements) : null;
    long overSleptRecords = overSlept == null || overSlept.isEmpty() ? 0
        : overSlept.select(ParsedMeasurement.SOURCE_FILE, ParsedMeasurement.SOURCE_POSITION).distinct().count();
    if (overSleptRecords == 0) {
      overSlept = null;
    }
    Dataset<Row> accepted = overSlept == null ? measurements
        : measurements.join(overSlept.select(ParsedMeasurement.DEVICE_KEY, ParsedMeasurement.LOCAL_DAY, ParsedMeasurement.METRIC).distinct(),
            Seqs.of(ParsedMeasurement.DEVICE_KEY, ParsedMeasurement.LOCAL_DAY, ParsedMeasurement.METRIC), "left_anti");
    if (overSleptRecords > 0) {
      quarantined.merge(Reason.SLEEP_OVER_24H.name(), overSleptRecords, Long::sum);
      acceptedRecords -= overSleptRecords;
      measurementCount -= overSlept.count();
    }
    progress.detail("parsed: " + (acceptedRecords + quarantined.values().stream().mapToLong(Long::longValue).sum()) + " records, "
        + measurementCount + " measurements");
    long unmapped = !quarantined.containsKey(Reason.UNMAPPED_DEVICE.name()) ? 0
        : parsed.filter(col(ParsedMeasurement.REASON_CODE).equalTo(Reason.UNMAPPED_DEVICE.name()))
            .agg(countDistinct(ParsedMeasurement.DEVICE_KEY)).head().getLong(0);

    // Not cached: each use re-projects the kept parse, cheaper than caching these wide rows again.
    Dataset<Row> unique = deduplicate(accepted, keys);
    Dataset<Row> silverRows = silver(unique);
    {
      long distinct = unique == accepted ? measurementCount : silverRows.count();
      progress.detail("de-duplicated: " + distinct + " distinct measurements");
      boolean silverExists = lakehouse.exists(WearableMeasurementSchema.TABLE);
      Dataset<Row> affected = null;
      long written = distinct;
      long days = -1; // a first ingest learns its patient-days from the daily rows it writes
      if (silverExists) {
        Dataset<Row> changed = DeltaWriter.changedRows(silverRows, lakehouse.read(spark, WearableMeasurementSchema.TABLE),
            WearableMeasurementSchema.KEY, WearableMeasurementSchema.CONTENT);
        // The patient-days this run changes, fixed before silver changes (a checkpoint, not a lazy plan over silver).
        affected = changed.select(WearableMeasurementSchema.PATIENT_KEY, WearableMeasurementSchema.LOCAL_DAY).distinct()
            .localCheckpoint(true);
        written = changed.count();
        days = affected.count();
        progress.detail("changed: " + written + " measurements on " + days + " patient-days");
      }

      List<TableWrite> writes = new ArrayList<>();
      try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
        DeltaWriter writer = new DeltaWriter(spark, lakehouse, tx)
            .partitionNewTable(WearableMeasurementSchema.TABLE, WearableMeasurementSchema.START_DATE)
            .statsColumnsOfNewTable(WearableMeasurementSchema.TABLE, WearableMeasurementSchema.STATS_COLUMNS.toArray(new String[0]));
        progress.detail("merging " + WearableMeasurementSchema.TABLE + " (" + written + " new or changed measurements)");
        writes.add(writer.upsertCompared(silverRows, WearableMeasurementSchema.TABLE, WearableMeasurementSchema.KEY,
            WearableMeasurementSchema.CONTENT));
        if (!run.firstRead().isEmpty()) {
          writes.add(writer.upsertRows(sourceFiles(run), WearableMeasurementSchema.SOURCE_FILES,
              List.of(WearableMeasurementSchema.SOURCE_FILE)));
        }
        progress.detail("merging " + WearableMeasurementSchema.QUARANTINE);
        writes.addAll(quarantine(writer, parsed, overSlept, runId, reading));
        // Silver is checked before gold.wearable_daily sees it; the quarantine action may move rows out of silver.
        boolean checked = checks.run(spark, lakehouse, tx, "ingest wearables", progress) != null;
        if (written > 0 && days != 0) {
          progress.detail("updating " + WearableDailySchema.TABLE + (days > 0 ? " for " + days + " patient-days" : ""));
          // A first ingest computes the days from the rows in memory, which took patient and zone from the device map, so
          // keyed by device hash; once checked, from all of silver. Later ones read the touched days back from silver.
          Dataset<Row> dailyRows;
          if (!silverExists && !checked) {
            dailyRows = WearableDaily.compute(silverRows, devices.devices());
          } else {
            Dataset<Row> silver = lakehouse.read(spark, WearableMeasurementSchema.TABLE);
            dailyRows = WearableDaily.compute(silverExists ? silver.join(affected,
                Seqs.of(WearableMeasurementSchema.PATIENT_KEY, WearableMeasurementSchema.LOCAL_DAY), "left_semi") : silver);
          }
          TableWrite daily = writer.upsertRows(dailyRows, WearableDailySchema.TABLE,
              List.of(WearableDailySchema.PATIENT_KEY, WearableDailySchema.DAY));
          writes.add(daily);
          if (days < 0) {
            days = daily.versionBefore() == TableWrite.NO_VERSION ? daily.inserted() : dailyRows.count();
          }
          checks.run(spark, lakehouse, tx, "ingest wearables", progress);
        }
        days = Math.max(days, 0);
        writes.add(manifest.record(writer, recorded, runId));
        tx.commit();
      }
      return new WearableIngestResult(runId, reading.size(), skipped, plan.notIngested(), byFormat, acceptedRecords, quarantined,
          measurementCount, written, distinct - written, measurementCount - distinct, unmapped, devicesWithoutPatient(devices), days,
          writes);
    }
  }

  /** Rebuilds {@code gold.wearable_daily} from all of silver (the incremental path updates only changed days). */
  public TableWrite rebuildDaily() {
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      TableWrite write = new DeltaWriter(spark, lakehouse, tx).replace(
          WearableDaily.compute(lakehouse.read(spark, WearableMeasurementSchema.TABLE)), WearableDailySchema.TABLE);
      tx.commit();
      return write;
    }
  }

  /**
   * A sleep session's minutes all count for the day it ends (a night is one night, not two half
   * nights either side of midnight).
   */
  private static Dataset<Row> withSleepSessions(Dataset<Row> measurements) {
    Column session = col(ParsedMeasurement.SESSION_ID);
    Dataset<Row> sessions = measurements.filter(session.isNotNull())
        .withColumn(ParsedMeasurement.LOCAL_DAY, max(ParsedMeasurement.LOCAL_DAY).over(
            Window.partitionBy(ParsedMeasurement.DEVICE_KEY, ParsedMeasurement.SESSION_ID)));
    return measurements.filter(session.isNull()).unionByName(sessions);
  }

  /** Sleep rows of device-days holding more than 24 hours of (de-duplicated) sleep. */
  private static Dataset<Row> sleepOver24h(Dataset<Row> measurements) {
    Dataset<Row> sleep = measurements.filter(col(ParsedMeasurement.METRIC).equalTo(Metric.SLEEP.id()));
    Dataset<Row> days = sleep.dropDuplicates(WearableMeasurementSchema.KEY.toArray(new String[0]))
        .groupBy(ParsedMeasurement.DEVICE_KEY, ParsedMeasurement.LOCAL_DAY)
        .agg(sum(ParsedMeasurement.VALUE).as("minutes"))
        .filter(col("minutes").gt(24 * 60));
    return sleep.join(days.select(ParsedMeasurement.DEVICE_KEY, ParsedMeasurement.LOCAL_DAY),
        Seqs.of(ParsedMeasurement.DEVICE_KEY, ParsedMeasurement.LOCAL_DAY), "left_semi");
  }

  /**
   * One row per measurement key: the one from the last file in path order (then the last line).
   * Whether any key can repeat is found first from the key spans the parse tasks reported (no Spark
   * job; see {@link KeyRanges}), then from a 64-bit hash of the key (a shuffle of longs); only then
   * are whole rows shuffled (a hash collision only costs that shuffle, never a lost row).
   */
  private Dataset<Row> deduplicate(Dataset<Row> accepted, TaskReports<KeyRanges.Span> keys) {
    // Asked once the parse job (KeptRows.compute) has run: every task has reported by then.
    if (KeyRanges.provesUnique(keys)) {
      progress.detail("no measurement key repeats (each file in time order, files apart in time): no de-duplication needed");
      return accepted;
    }
    Column key = xxhash64(WearableMeasurementSchema.KEY.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new));
    // One aggregate, not isEmpty() on a filter: a limit makes Spark scan the shuffle output in growing rounds.
    Row most = accepted.groupBy(key.as("_k")).count().agg(max(col("count"))).head();
    if (most.isNullAt(0) || most.getLong(0) <= 1) {
      return accepted;
    }
    return accepted.withColumn("_rank", row_number().over(Window.partitionBy(WearableMeasurementSchema.KEY.stream()
                .map(org.apache.spark.sql.functions::col).toArray(Column[]::new))
            .orderBy(col(ParsedMeasurement.SOURCE_FILE).desc(), col(ParsedMeasurement.SOURCE_POSITION).desc())))
        .filter(col("_rank").equalTo(1)).drop("_rank");
  }

  /**
   * The silver rows: per measurement only what varies between measurements. The unit is the
   * metric's (the column comment lists them) and a file's layout and run are in
   * {@code silver.wearable_source_file} ({@link #sourceFiles}).
   */
  private static Dataset<Row> silver(Dataset<Row> rows) {
    return rows.select(
        col(ParsedMeasurement.PATIENT_KEY).as(WearableMeasurementSchema.PATIENT_KEY),
        col(ParsedMeasurement.DEVICE_KEY).as(WearableMeasurementSchema.DEVICE_KEY),
        col(ParsedMeasurement.METRIC).as(WearableMeasurementSchema.METRIC,
            WearableMeasurementSchema.SCHEMA.apply(WearableMeasurementSchema.METRIC).metadata()),
        col(ParsedMeasurement.START_TIME).as(WearableMeasurementSchema.START_TIME),
        col(ParsedMeasurement.END_TIME).as(WearableMeasurementSchema.END_TIME),
        col(ParsedMeasurement.VALUE).as(WearableMeasurementSchema.VALUE),
        col(ParsedMeasurement.LOCAL_DAY).as(WearableMeasurementSchema.LOCAL_DAY),
        col(ParsedMeasurement.TIME_ZONE).as(WearableMeasurementSchema.TIME_ZONE),
        col(ParsedMeasurement.SESSION_ID).as(WearableMeasurementSchema.SESSION_ID),
        col(ParsedMeasurement.SOURCE_FILE).as(WearableMeasurementSchema.SOURCE_FILE),
        col(ParsedMeasurement.SOURCE_POSITION).as(WearableMeasurementSchema.SOURCE_POSITION),
        utcDate(ParsedMeasurement.START_TIME).as(WearableMeasurementSchema.START_DATE));
  }

  /**
   * The UTC calendar date of a timestamp by integer arithmetic on its microseconds: {@code to_date}
   * goes through {@code java.time} objects for every row (about 2% of the ingest's CPU samples) and
   * follows the session's zone, while the partition column is the UTC date whatever the session.
   */
  static Column utcDate(String timestamp) {
    String micros = "unix_micros(" + timestamp + ")";
    return expr("date_from_unix_date(CAST((" + micros + " - pmod(" + micros + ", 86400000000)) div 86400000000 AS INT))");
  }

  /**
   * @param firstRead the files whose content no earlier run read (a forced re-read of the same
   *     content is not one)
   */
  private record Run(String id, java.time.Instant startedAt, List<PlannedFile> firstRead) {}

  /**
   * One row per file whose content this run read first: the layout its records were read in and
   * this run, so a measurement's {@code source_file} leads to both. The layout is the plan's (a
   * CSV's header; JSON is Open mHealth), the one the parser gives each of the file's records.
   */
  private Dataset<Row> sourceFiles(Run run) {
    java.sql.Timestamp at = java.sql.Timestamp.from(run.startedAt());
    List<Row> rows = run.firstRead().stream().map(f -> org.apache.spark.sql.RowFactory.create(f.displayName(),
        f.kind() == Kind.CSV ? RecordParser.formatId(f.format()) : RecordParser.OPEN_MHEALTH, run.id(), at)).toList();
    return spark.createDataFrame(rows, WearableMeasurementSchema.SOURCE_FILES_SCHEMA);
  }

  /**
   * Upserts this run's rejected records, and removes earlier quarantine rows of the files read
   * again that are no longer rejected (e.g. once their device is mapped): the quarantine always
   * holds what is currently kept aside.
   */
  private List<TableWrite> quarantine(DeltaWriter writer, Dataset<Row> parsed, Dataset<Row> overSlept, String runId,
      List<PlannedFile> reading) {
    Dataset<Row> rejected = parsed.filter(ParsedMeasurement.isQuarantined());
    if (overSlept != null) {
      rejected = rejected.unionByName(overSlept.dropDuplicates(ParsedMeasurement.SOURCE_FILE, ParsedMeasurement.SOURCE_POSITION)
          .withColumn(ParsedMeasurement.REASON_CODE, lit(Reason.SLEEP_OVER_24H.name()))
          .withColumn(ParsedMeasurement.REASON, lit("the device's sleep records for this day add up to more than 24 hours")));
    }
    Dataset<Row> rows = rejected.select(
            col(ParsedMeasurement.SOURCE_FILE).as(QuarantineSchema.SOURCE_FILE),
            col(ParsedMeasurement.SOURCE_POSITION).as(QuarantineSchema.SOURCE_POSITION),
            col(ParsedMeasurement.POSITION_KIND).as(QuarantineSchema.SOURCE_POSITION_KIND),
            col(ParsedMeasurement.REASON_CODE).as(QuarantineSchema.REASON_CODE),
            col(ParsedMeasurement.REASON).as(QuarantineSchema.REASON),
            col(ParsedMeasurement.SOURCE_FORMAT).as(QuarantineSchema.RESOURCE_TYPE),
            col(ParsedMeasurement.DEVICE_KEY).as(QuarantineSchema.RESOURCE_ID),
            col(ParsedMeasurement.RECORD_HASH).as(QuarantineSchema.CONTENT_HASH),
            col(ParsedMeasurement.RAW).as(QuarantineSchema.RAW),
            lit(runId).as(QuarantineSchema.INGEST_RUN_ID))
        .dropDuplicates(QuarantineSchema.SOURCE_FILE, QuarantineSchema.SOURCE_POSITION, QuarantineSchema.CONTENT_HASH);
    List<String> key = List.of(QuarantineSchema.SOURCE_FILE, QuarantineSchema.SOURCE_POSITION, QuarantineSchema.CONTENT_HASH);
    List<TableWrite> writes = new ArrayList<>();
    boolean existed = lakehouse.exists(WearableMeasurementSchema.QUARANTINE);
    writes.add(writer.upsert(rows, WearableMeasurementSchema.QUARANTINE, key, QuarantineSchema.CONTENT_HASH, null));
    if (existed) {
      List<String> names = reading.stream().map(PlannedFile::displayName).toList();
      Dataset<Row> stale = lakehouse.read(spark, WearableMeasurementSchema.QUARANTINE)
          .filter(col(QuarantineSchema.SOURCE_FILE).isin(names.toArray()))
          .select(key.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new))
          .join(rows.select(key.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new)), Seqs.of(key), "left_anti");
      TableWrite removal = writer.delete(stale, WearableMeasurementSchema.QUARANTINE, key);
      if (removal.changed()) {
        writes.add(removal);
      }
    }
    return writes;
  }

  /** Mapped devices whose patient is not (yet) in silver.patient. */
  private long devicesWithoutPatient(DeviceMap devices) {
    if (!lakehouse.exists(PatientSchema.TABLE) || devices.size() == 0) {
      return devices.size();
    }
    Dataset<Row> mapped = spark.createDataset(new ArrayList<>(devices.patientKeys()), Encoders.STRING()).toDF(PatientSchema.PATIENT_KEY);
    return mapped.join(lakehouse.read(spark, PatientSchema.TABLE).select(PatientSchema.PATIENT_KEY), Seqs.of(PatientSchema.PATIENT_KEY),
        "left_anti").count();
  }

  /** The parse's rows (kept from the first job that reads them), and what its tasks report: their measurement keys, their counts. */
  record Parse(KeptRows rows, TaskReports<KeyRanges.Span> keys, TaskReports<ParseCounts.Report> counts) {}

  Parse parse(List<PlannedFile> files, RecordParser parser, Path staging) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Map<String, LinePartitionParser.FileInfo> lineFiles = new HashMap<>();
    Map<String, String> jsonFiles = new HashMap<>();
    int staged = 0;
    for (PlannedFile f : files) {
      Path local = f.path();
      if (f.zipEntry() != null) {
        local = unzip(f, staging.resolve(staged++ + "-" + Path.of(f.zipEntry()).getFileName()));
      }
      switch (f.kind()) {
        case CSV -> lineFiles.put(local.toString(), new LinePartitionParser.FileInfo(f.format(), false, f.displayName()));
        case NDJSON -> lineFiles.put(local.toString(), new LinePartitionParser.FileInfo(null, true, f.displayName()));
        case JSON -> jsonFiles.put(local.toString(), f.displayName());
      }
    }
    JavaRDD<org.apache.spark.sql.catalyst.InternalRow> rows = jsc.emptyRDD();
    if (!lineFiles.isEmpty()) {
      JavaNewHadoopRDD<LongWritable, Text> lines = LineInputFormat.read(jsc, join(lineFiles.keySet()), MAX_SPLIT_BYTES);
      rows = rows.union(lines.mapPartitionsWithInputSplit(new LinePartitionParser(parser, lineFiles), false));
    }
    if (!jsonFiles.isEmpty()) {
      rows = rows.union(jsc.binaryFiles(join(jsonFiles.keySet())).flatMap(file -> {
        String path = URI.create(file._1()).getPath();
        byte[] bytes;
        try (InputStream raw = file._2().open();
            InputStream in = path.endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
          bytes = in.readAllBytes();
        } catch (IOException e) {
          throw InputReadException.of(jsonFiles.getOrDefault(path, path), "", e);
        }
        return parser.openMHealthFile(new String(bytes, StandardCharsets.UTF_8), jsonFiles.getOrDefault(path, path)).iterator();
      }));
    }
    // Each task reports the spans of keys it emitted, so a parse with no repeated key needs no shuffle to show it.
    TaskReports<KeyRanges.Span> keys = KeyRanges.tracking(spark.sparkContext(), rows);
    TaskReports<ParseCounts.Report> counts = ParseCounts.tracking(spark.sparkContext(), keys.rows());
    // The parser builds Spark's internal rows itself (no per-row conversion from external Rows); KeptRows packs them into pages.
    return new Parse(KeptRows.of(spark, counts.rows().rdd(), ParsedMeasurement.SCHEMA), keys, counts);
  }

  /** Extracts one CSV from its archive for Spark to split (zip entries cannot be split in place). */
  private static Path unzip(PlannedFile f, Path target) {
    try (ZipFile zip = new ZipFile(f.path().toFile()); InputStream in = zip.getInputStream(zip.getEntry(f.zipEntry()))) {
      Files.createDirectories(target.getParent());
      Files.copy(in, target);
      return target.toAbsolutePath();
    } catch (IOException e) {
      throw CareLakeException.badInput("Cannot extract " + f.displayName() + ": " + e.getMessage() + ".",
          "check the archive is complete (unzip -t).");
    }
  }

  private static String join(java.util.Collection<String> paths) {
    return LineInputFormat.inputList(paths.stream().sorted().toList());
  }
}
