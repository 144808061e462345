package org.carelake.core;

import java.io.Serializable;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.TaskAttemptID;
import org.apache.hadoop.mapreduce.TaskType;
import org.apache.hadoop.mapreduce.task.TaskAttemptContextImpl;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.OptimisticTransaction;
import org.apache.spark.sql.delta.actions.Metadata;
import org.apache.spark.sql.delta.stats.DeltaJobStatisticsTracker;
import org.apache.spark.sql.delta.stats.DeltaTaskStatisticsTracker;
import org.apache.spark.sql.execution.datasources.OutputWriter;
import org.apache.spark.sql.execution.datasources.OutputWriterFactory;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

/**
 * One table's rows written as Parquet files by tasks of a job that writes several tables at once
 * (one pass over an input feeding bronze and every silver table), to a staging folder. The files
 * are then either committed as a new Delta table's first version ({@link DeltaWriter#create(TableFiles,
 * java.util.List)}: the same Parquet writer and the same per-file statistics Delta's own write would
 * produce) or read back as the source of a MERGE into a table that exists.
 *
 * <p>Built on the driver, used in tasks: {@link #open} gives a task its writer. Run the job that
 * writes with the session's SQL settings in its tasks ({@code SQLExecution.withSQLConfPropagated}),
 * as a Dataset's action runs: code Spark and Delta generate in the tasks reads them.
 */
public final class TableFiles implements Serializable {

  private static final long serialVersionUID = 1L;

  private final TableId table;
  private final StructType schema;
  private final String folder;
  private final OutputWriterFactory factory;
  private final SerializableConfiguration conf;
  /** Delta's per-file statistics, for files that may become a new table's; null for MERGE sources. */
  private final DeltaJobStatisticsTracker stats;
  private final Metadata metadata;
  /** The writers' configuration, made once per process (the instance is shared through a broadcast). */
  private transient volatile org.apache.hadoop.mapred.JobConf jobConf;
  /**
   * Each executor thread's statistics tracker: making one generates its aggregation code, so a
   * thread keeps one across its tasks' files (it keeps per-file state, so threads do not share).
   */
  private transient volatile ThreadLocal<DeltaTaskStatisticsTracker> trackers;

  private TableFiles(TableId table, StructType schema, String folder, OutputWriterFactory factory, SerializableConfiguration conf,
      DeltaJobStatisticsTracker stats, Metadata metadata) {
    this.table = table;
    this.schema = schema;
    this.folder = folder;
    this.factory = factory;
    this.conf = conf;
    this.stats = stats;
    this.metadata = metadata;
  }

  /**
   * Files for {@code table}, written to {@code folder}. When the table does not exist yet they carry
   * Delta's statistics for {@code statsColumns} (as {@link DeltaWriter#statsColumnsOfNewTable} would
   * configure the new table), so that they can become its first version as they are.
   */
  public static TableFiles prepare(SparkSession spark, Lakehouse lakehouse, TableId table, StructType schema, String[] statsColumns,
      java.nio.file.Path folder) {
    return prepare(spark, lakehouse, table, schema, statsColumns, folder, new String[0]);
  }

  /**
   * As {@link #prepare(SparkSession, Lakehouse, TableId, StructType, String[], java.nio.file.Path)},
   * with {@code plainColumns} written without Parquet's dictionary: columns unique per row (a
   * table's own key), which the dictionary would hash and store for every row before giving up.
   */
  public static TableFiles prepare(SparkSession spark, Lakehouse lakehouse, TableId table, StructType schema, String[] statsColumns,
      java.nio.file.Path folder, String... plainColumns) {
    // Delta stores a new table's schema as nullable (its own writes do the same): the files match it.
    StructType stored = schema.asNullable();
    DeltaJobStatisticsTracker stats = null;
    Metadata metadata = null;
    Configuration hadoop = spark.sessionState().newHadoopConf();
    if (!lakehouse.exists(table)) {
      scala.collection.immutable.Map<String, String> config = scala.collection.immutable.Map$.MODULE$.empty();
      if (statsColumns != null && statsColumns.length > 0) {
        config = config.updated("delta.dataSkippingStatsColumns", String.join(",", statsColumns));
      }
      metadata = new Metadata(UUID.randomUUID().toString(), null, null, new org.apache.spark.sql.delta.actions.Format("parquet",
          scala.collection.immutable.Map$.MODULE$.empty()), stored.json(), org.carelake.core.spark.Seqs.of(), config,
          scala.Option.apply(System.currentTimeMillis()));
      DeltaLog log = DeltaLog.forTable(spark, lakehouse.tablePath(table).toString());
      OptimisticTransaction txn = log.startTransaction();
      txn.updateMetadataForNewTable(metadata);
      // The metadata's own properties (e.g. the statistics columns) reach the files' writer, as in Delta's write.
      hadoop = spark.sessionState().newHadoopConfWithOptions(txn.metadata().configuration());
      Dataset<Row> empty = spark.createDataFrame(java.util.List.of(), stored);
      stats = txn.getOptionalStatsTrackerAndStatsCollection(empty.queryExecution().analyzed().output(), log.dataPath(),
          new StructType(), empty)._1().getOrElse(() -> null);
    }
    for (String column : plainColumns) {
      hadoop.set("parquet.enable.dictionary#" + column, "false");
    }
    try {
      Job job = Job.getInstance(hadoop);
      OutputWriterFactory factory = new ParquetFileFormat().prepareWrite(spark, job, scala.collection.immutable.Map$.MODULE$.empty(), stored);
      return new TableFiles(table, stored, folder.resolve(table.layer().dbName() + "." + table.name()).toString(), factory,
          new SerializableConfiguration(job.getConfiguration()), stats, metadata);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("could not prepare the Parquet writer of " + table, e);
    }
  }

  public TableId table() {
    return table;
  }

  /** The files' schema (the table's, nullable as Delta stores it). */
  public StructType schema() {
    return schema;
  }

  /** Whether the table did not exist when the files were prepared: they can become its first version. */
  public boolean forNewTable() {
    return metadata != null;
  }

  /** The files as a source of rows (a MERGE's), or no rows. */
  public Dataset<Row> read(SparkSession spark, java.util.List<File> files) {
    if (files.isEmpty()) {
      return spark.createDataFrame(java.util.List.of(), schema);
    }
    return spark.read().schema(schema).parquet(files.stream().map(File::path).toArray(String[]::new));
  }

  /** The new table's Delta metadata these files were written for; null when the table existed. */
  Metadata metadata() {
    return metadata;
  }

  /**
   * A task attempt's context copies a configuration that is not a JobConf (hundreds of entries);
   * Parquet's writers only read it, so one copy serves every task of this process.
   */
  private org.apache.hadoop.mapred.JobConf jobConf() {
    org.apache.hadoop.mapred.JobConf c = jobConf;
    if (c == null) {
      synchronized (this) {
        if (jobConf == null) {
          jobConf = new org.apache.hadoop.mapred.JobConf(conf.value());
        }
        c = jobConf;
      }
    }
    return c;
  }

  private DeltaTaskStatisticsTracker tracker() {
    ThreadLocal<DeltaTaskStatisticsTracker> t = trackers;
    if (t == null) {
      synchronized (this) {
        if (trackers == null) {
          trackers = ThreadLocal.withInitial(() -> (DeltaTaskStatisticsTracker) stats.newTaskInstance());
        }
        t = trackers;
      }
    }
    return t.get();
  }

  /** A writer for one task; files are named by the task's partition and attempt, so a retried task never collides. */
  public Writer open(int partition, long attempt) {
    return new Writer(partition, attempt);
  }

  /** A file a task wrote: where, its size, its rows, and Delta's statistics JSON (null without). */
  public record File(String path, long bytes, long rows, String stats) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** One task's writer: opens its file on the first row, so a task without rows for the table writes nothing. */
  public final class Writer {
    private final int partition;
    private final long attempt;
    private OutputWriter out;
    private DeltaTaskStatisticsTracker tracker;
    private String path;
    private long rows;

    private Writer(int partition, long attempt) {
      this.partition = partition;
      this.attempt = attempt;
    }

    public void write(InternalRow row) {
      if (out == null) {
        TaskAttemptContextImpl context = new TaskAttemptContextImpl(jobConf(),
            new TaskAttemptID("carelake", 0, TaskType.MAP, partition, (int) attempt));
        path = folder + "/part-" + String.format(java.util.Locale.ROOT, "%05d", partition) + "-" + UUID.randomUUID()
            + factory.getFileExtension(context);
        out = factory.newInstance(path, schema, context);
        if (stats != null) {
          tracker = tracker();
          tracker.newFile(path);
        }
      }
      out.write(row);
      if (tracker != null) {
        tracker.newRow(path, row);
      }
      rows++;
    }

    /** Closes the file; null when no row was written. */
    public File close() {
      if (out == null) {
        return null;
      }
      out.close();
      String json = null;
      if (tracker != null) {
        tracker.closeFile(path);
        json = tracker.getFinalStats(System.currentTimeMillis()).stats().get(new org.apache.hadoop.fs.Path(path).getName()).get();
      }
      try {
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(path);
        return new File(path, file.getFileSystem(conf.value()).getFileStatus(file).getLen(), rows, json);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("could not read the size of " + path, e);
      }
    }

    /** Closes the file after a failure; it goes with the staging folder (its task reported nothing). */
    public void abort() {
      if (out != null) {
        try {
          out.close();
        } catch (RuntimeException ignored) {
          // the task is failing anyway; its file is removed with the staging folder
        }
      }
    }
  }
}
