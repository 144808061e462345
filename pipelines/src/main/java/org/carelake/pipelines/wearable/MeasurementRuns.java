package org.carelake.pipelines.wearable;

import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.FileSourceScanExec;
import org.apache.spark.sql.execution.InputAdapter;
import org.apache.spark.sql.execution.ProjectExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.CollectionAccumulator;
import org.carelake.core.schema.WearableMeasurementSchema;
import org.carelake.core.schema.WearableMeasurementSchema.Metric;

/**
 * The first aggregation of {@link WearableDaily} over a plain scan of stored measurements, computed
 * from runs of the scan's column batches instead of from its rows.
 *
 * <p>Measurements are stored in device and time order (a device's heart rate every few seconds,
 * then the next device's), so the rows of one group (one device's minute of heart rate, one
 * device's day of steps) mostly come one after another. A run of them becomes one row, found by
 * comparing each row with the one before in the scan's own column vectors (dictionary ids of the
 * strings, where Parquet stored a dictionary) instead of building a row and hashing its key with two
 * 64-character pseudonyms: about a twelfth of the rows remain. Patient, device and zone are carried
 * as 64-bit hashes and the metric as its code ({@link WearableDaily#code(String)}), so the
 * aggregation that follows keys on numbers. Exact whatever the order and
 * the hashes:
 * <ul>
 *   <li>a group split into several runs gives several rows, which that aggregation adds up; only
 *       the speed depends on the order;
 *   <li>each task also reports every (hash, string) pair it used (through an accumulator, so the
 *       check needs no job of its own), and the runs are used only when no hash stands for two
 *       strings; else {@link #of} answers empty and the caller aggregates the rows themselves.
 * </ul>
 */
final class MeasurementRuns {

  private static final String P = WearableMeasurementSchema.PATIENT_KEY;
  private static final String DAY = WearableMeasurementSchema.LOCAL_DAY;
  /** The scan's columns the runs read, in the order {@link Runs} expects them. */
  private static final List<String> COLUMNS = List.of(P, DAY, WearableMeasurementSchema.METRIC, WearableMeasurementSchema.DEVICE_KEY,
      WearableMeasurementSchema.START_TIME, WearableMeasurementSchema.END_TIME, WearableMeasurementSchema.TIME_ZONE,
      WearableMeasurementSchema.VALUE);

  /** A run's sum, count and maximum of the value. */
  static final String SUM = "s";
  static final String COUNT = "n";
  static final String MAX = "mx";

  /**
   * At most this many identities (a task's distinct patients, devices and zones, summed over
   * tasks) are brought to the driver: each of the scan's tasks reports at most its share; with
   * more, {@link #of} answers empty (the caller's plain aggregation needs no such list).
   */
  static final int MAX_IDENTITIES = 200_000;

  /** Identity kinds (also indexes of per-kind arrays): the string behind a patient, device or zone hash. */
  static final byte PATIENT = 0;
  static final byte DEVICE = 1;
  static final byte ZONE = 2;
  private static final int KINDS = 3;
  /** Seed of the runs' 64-bit hashes. */
  private static final long SEED = 42L;
  /** A task's report instead of its identities: two of its strings share a hash, or it has more than its share. */
  private static final byte UNUSABLE = -1;

  /** The string behind a hash, as a task reports it (kind {@link #UNUSABLE}: the task's hashes cannot be used). */
  record Identity(byte kind, long hash, String text) implements java.io.Serializable {}

  /** A run: the three hashes, its key and its value columns. */
  static final StructType SCHEMA = new StructType()
      .add("ph", DataTypes.LongType, false).add("dh", DataTypes.LongType, false).add("zh", DataTypes.LongType, false)
      .add(DAY, DataTypes.DateType, true).add("m", DataTypes.ByteType, true).add("g", DataTypes.ByteType, true)
      .add("minute", DataTypes.LongType, true)
      .add(SUM, DataTypes.DoubleType, true).add(COUNT, DataTypes.LongType, true).add(MAX, DataTypes.DoubleType, true);

  private MeasurementRuns() {}

  /**
   * The runs of a plain scan (hashes ph, dh, zh, local day, metric m, granularity g, minute; {@link
   * #SUM}, {@link #COUNT}, {@link #MAX}), as the scan's tasks made them, with the strings behind
   * the patient hashes (ph, patient_key) and the zone names behind the zone hashes.
   */
  record Hashed(Dataset<Row> runs, Dataset<Row> patients, Map<Long, String> zones) {}

  /**
   * The runs of {@code measurements}, or empty when it is not a plain columnar scan (a filter, a
   * join, a reader without column batches) or a hash stood for two strings. The hashes are cut to
   * {@code hashMask}'s bits (-1 keeps them whole; tests force collisions with it).
   */
  static Optional<Hashed> of(Dataset<Row> measurements, long hashMask) {
    return of(measurements, hashMask, MAX_IDENTITIES);
  }

  /** As {@link #of(Dataset, long)}, with at most {@code maxIdentities} identities brought to the driver. */
  static Optional<Hashed> of(Dataset<Row> measurements, long hashMask, int maxIdentities) {
    if (!List.of(measurements.columns()).containsAll(COLUMNS)) {
      return Optional.empty();
    }
    Dataset<Row> selected = measurements.select(COLUMNS.stream().map(org.apache.spark.sql.functions::col).toArray(
        org.apache.spark.sql.Column[]::new));
    Optional<FileSourceScanExec> scan = plainScan(selected.queryExecution().executedPlan());
    if (scan.isEmpty()) {
      return Optional.empty();
    }
    scala.collection.Seq<Attribute> output = scan.get().output();
    int[] ordinals = new int[COLUMNS.size()];
    for (int c = 0; c < ordinals.length; c++) {
      ordinals[c] = -1;
      for (int i = 0; i < output.size(); i++) {
        if (output.apply(i).name().equals(COLUMNS.get(c))) {
          ordinals[c] = i;
        }
      }
      if (ordinals[c] < 0) {
        return Optional.empty();
      }
    }
    SparkSession spark = measurements.sparkSession();
    CollectionAccumulator<Identity> reported = spark.sparkContext().collectionAccumulator("wearable run identities");
    RDD<ColumnarBatch> batches = scan.get().executeColumnar();
    int share = Math.max(1, maxIdentities / Math.max(1, batches.getNumPartitions()));
    JavaRDD<InternalRow> rows = batches.toJavaRDD().mapPartitions(task -> new Runs(task, ordinals, hashMask, share, reported));
    // Kept (a few hundred thousand narrow rows): made before the identities are known, read by the aggregation.
    Dataset<Row> kept = spark.internalCreateDataFrame(rows.rdd(), SCHEMA, false).localCheckpoint(true);
    List<Map<Long, String>> strings = List.of(new HashMap<>(), new HashMap<>(), new HashMap<>());
    List<Identity> identities = reported.value();
    if (identities.size() > maxIdentities) {
      return Optional.empty();
    }
    for (Identity identity : identities) {
      if (identity.kind() == UNUSABLE) {
        return Optional.empty();
      }
      String before = strings.get(identity.kind()).putIfAbsent(identity.hash(), identity.text());
      if (before != null && !before.equals(identity.text())) {
        return Optional.empty();
      }
    }
    Dataset<Row> patients = dictionary(spark, strings.get(PATIENT), "ph", P);
    return Optional.of(new Hashed(kept, patients, strings.get(ZONE)));
  }

  /** A local table of {@code strings}: the hash in {@code hashColumn}, its string in {@code textColumn}. */
  static Dataset<Row> dictionary(SparkSession spark, Map<Long, String> strings, String hashColumn, String textColumn) {
    return spark.createDataFrame(strings.entrySet().stream().map(e -> RowFactory.create(e.getKey(), e.getValue())).toList(),
        new StructType().add(hashColumn, DataTypes.LongType, false).add(textColumn, DataTypes.StringType, false));
  }

  /** The hash the runs carry for a patient, device or zone string. */
  static long hash(String text) {
    return XXH64.hashUTF8String(UTF8String.fromString(text), SEED);
  }

  /**
   * The file scan under {@code plan} when the plan does nothing but read columns (whole-stage
   * code, column-to-row conversion, projections of plain columns); else empty.
   */
  static Optional<FileSourceScanExec> plainScan(SparkPlan plan) {
    SparkPlan node = plan;
    while (true) {
      if (node instanceof FileSourceScanExec scan) {
        return scan.supportsColumnar() ? Optional.of(scan) : Optional.empty();
      } else if (node instanceof WholeStageCodegenExec w) {
        node = w.child();
      } else if (node instanceof InputAdapter a) {
        node = a.child();
      } else if (node instanceof ColumnarToRowExec c) {
        node = c.child();
      } else if (node instanceof ProjectExec p && onlyColumns(p.projectList())) {
        node = p.child();
      } else {
        return Optional.empty();
      }
    }
  }

  private static boolean onlyColumns(scala.collection.Seq<NamedExpression> expressions) {
    for (int i = 0; i < expressions.size(); i++) {
      if (!(expressions.apply(i) instanceof AttributeReference)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The runs of one task's column batches; at their end, the strings behind the hashes it used go
   * to {@code reported} (or one {@link #UNUSABLE} identity). The reader reuses its batches: a run's
   * key is copied before the next batch is read.
   */
  static final class Runs implements Iterator<InternalRow> {
    private final Iterator<ColumnarBatch> batches;
    private final int[] ordinals;
    private final long hashMask;
    private final int share;
    private final CollectionAccumulator<Identity> reported;
    /** The run emitted and not yet returned (a run is emitted when the next row starts another). */
    private InternalRow ready;
    /** Per kind, the strings behind the hashes this task used. */
    private final Map<Long, UTF8String>[] seen;
    private int identities;
    /** Two strings of this task share a hash. */
    private boolean collided;
    /** The last metric name looked up and its code. */
    private UTF8String lastMetric;
    private byte lastMetricCode;
    /** Per kind, the last string hashed and its hash (runs of one device follow each other). */
    private final UTF8String[] lastText = new UTF8String[KINDS];
    private final long[] lastHash = new long[KINDS];

    private int row;
    private int rows;
    private ColumnVector patient;
    private ColumnVector day;
    private ColumnVector metric;
    private ColumnVector device;
    private ColumnVector start;
    private ColumnVector end;
    private ColumnVector zone;
    private ColumnVector value;
    private WritableColumnVector patientIds;
    private WritableColumnVector metricIds;
    private WritableColumnVector deviceIds;
    private WritableColumnVector zoneIds;

    // The open run: its key (strings copied) and its sum, count and maximum.
    private boolean open;
    private UTF8String runPatient;
    private UTF8String runMetric;
    private byte runMetricCode;
    private UTF8String runDevice;
    private UTF8String runZone;
    private int runDay;
    private byte runGranularity;
    private boolean runHeartRate;
    private long runMinute;
    private double sum;
    private long count;
    private double max;
    private boolean finished;

    @SuppressWarnings("unchecked")
    Runs(Iterator<ColumnarBatch> batches, int[] ordinals, long hashMask, int share, CollectionAccumulator<Identity> reported) {
      this.batches = batches;
      this.ordinals = ordinals.clone();
      this.hashMask = hashMask;
      this.share = share;
      this.reported = reported;
      this.seen = new Map[] {new HashMap<>(), new HashMap<>(), new HashMap<>()};
    }

    @Override
    public boolean hasNext() {
      while (ready == null && !finished) {
        if (row < rows) {
          advance();
        } else if (batches.hasNext()) {
          read(batches.next());
        } else {
          if (open) {
            emit();
          }
          open = false;
          finished = true;
          report();
        }
      }
      return ready != null;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      InternalRow run = ready;
      ready = null;
      return run;
    }

    private void read(ColumnarBatch batch) {
      row = 0;
      rows = batch.numRows();
      patient = column(batch, 0);
      day = column(batch, 1);
      metric = column(batch, 2);
      device = column(batch, 3);
      start = column(batch, 4);
      end = column(batch, 5);
      zone = column(batch, 6);
      value = column(batch, 7);
      patientIds = dictionaryIds(patient);
      metricIds = dictionaryIds(metric);
      deviceIds = dictionaryIds(device);
      zoneIds = dictionaryIds(zone);
    }

    private ColumnVector column(ColumnarBatch batch, int c) {
      ColumnVector v = batch.column(ordinals[c]);
      if (v.hasNull()) {
        // The schema forbids nulls here and Delta enforces it on write: a null means a damaged table.
        throw new IllegalStateException(WearableMeasurementSchema.TABLE + " holds a null " + COLUMNS.get(c)
            + ", which its schema forbids; restore the table from a good version (RESTORE TABLE ... TO VERSION AS OF n)");
      }
      return v;
    }

    private static WritableColumnVector dictionaryIds(ColumnVector v) {
      return v instanceof WritableColumnVector w && w.hasDictionary() ? w.getDictionaryIds() : null;
    }

    /** Adds rows of the batch to the open run until one starts a new run (the old one is emitted) or the batch ends. */
    private void advance() {
      while (row < rows) {
        int r = row++;
        long startTime = start.getLong(r);
        long endTime = end.getLong(r);
        double v = value.getDouble(r);
        if (open && day.getInt(r) == runDay && WearableDaily.granularity(startTime, endTime) == runGranularity
            && (!runHeartRate || WearableDaily.minute(startTime) == runMinute)
            && same(metric, metricIds, r, runMetric) && same(device, deviceIds, r, runDevice)
            && same(patient, patientIds, r, runPatient) && same(zone, zoneIds, r, runZone)) {
          sum += v;
          count++;
          // Spark's ordering: NaN above every number.
          if (v > max || Double.isNaN(v)) {
            max = v;
          }
          continue;
        }
        if (open) {
          emit();
        }
        runPatient = patient.getUTF8String(r).clone();
        runMetric = metric.getUTF8String(r).clone();
        runDevice = device.getUTF8String(r).clone();
        runZone = zone.getUTF8String(r).clone();
        runDay = day.getInt(r);
        runGranularity = WearableDaily.granularity(startTime, endTime);
        if (!runMetric.equals(lastMetric)) {
          // A new run's metric is mostly the one before: decoded to a String and looked up only when it changes.
          lastMetric = runMetric;
          lastMetricCode = WearableDaily.code(runMetric.toString());
        }
        runMetricCode = lastMetricCode;
        runHeartRate = runMetricCode == WearableDaily.code(Metric.HEART_RATE);
        runMinute = runHeartRate ? WearableDaily.minute(startTime) : 0;
        sum = v;
        count = 1;
        max = v;
        open = true;
        if (ready != null) {
          return;
        }
      }
    }

    /** Row {@code r}'s string equals the open run's: by dictionary id against the row before, else by bytes. */
    private static boolean same(ColumnVector v, WritableColumnVector ids, int r, UTF8String run) {
      if (r > 0 && ids != null) {
        return ids.getInt(r) == ids.getInt(r - 1);
      }
      return v.getUTF8String(r).equals(run);
    }

    private void emit() {
      long ph = hash(PATIENT, runPatient);
      long dh = hash(DEVICE, runDevice);
      long zh = hash(ZONE, runZone);
      ready = new GenericInternalRow(new Object[] {ph, dh, zh, runDay, runMetricCode, runGranularity,
          runHeartRate ? (Object) runMinute : null, sum, count, max});
    }

    /** The string's hash, noted with the string the first time this task uses it. */
    private long hash(byte kind, UTF8String text) {
      if (text.equals(lastText[kind])) {
        return lastHash[kind];
      }
      long h = XXH64.hashUTF8String(text, SEED) & hashMask;
      lastText[kind] = text;
      lastHash[kind] = h;
      if (identities <= share) {
        UTF8String before = seen[kind].putIfAbsent(h, text);
        if (before == null) {
          identities++;
        } else if (!before.equals(text)) {
          collided = true;
        }
      }
      return h;
    }

    /** This task's identities, or one {@link #UNUSABLE} if two share a hash or there are more than its share. */
    private void report() {
      if (collided || identities > share) {
        reported.add(new Identity(UNUSABLE, 0L, null));
        return;
      }
      for (byte kind = PATIENT; kind <= ZONE; kind++) {
        for (Map.Entry<Long, UTF8String> e : seen[kind].entrySet()) {
          reported.add(new Identity(kind, e.getKey(), e.getValue().toString()));
        }
      }
    }
  }
}
