package org.carelake.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.spark.SparkSessions;

/**
 * Makes a run's writes to several Delta tables all-or-nothing. Delta commits each table atomically;
 * this records every table's version before the run touches it, and if the run does not reach
 * {@link #commit()}, restores each touched table to that version (or removes a table the run
 * created). A failed run therefore leaves every table at its last good version.
 *
 * <p>A rollback never discards another process's work: when a table received a commit that does not
 * carry this session's writer tag ({@link SparkSessions#WRITER_TAG}) since the run first touched it,
 * e.g. from a pipeline task running beside this one, that table is left as it is and the log says so.
 */
public final class LakehouseTransaction implements AutoCloseable {

  private static final Logger LOG = LogManager.getLogger(LakehouseTransaction.class);

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final Map<TableId, Optional<Long>> versionsBefore = new LinkedHashMap<>();
  private boolean committed;

  public LakehouseTransaction(SparkSession spark, Lakehouse lakehouse) {
    this.spark = spark;
    this.lakehouse = lakehouse;
  }

  /** Call before the first write to a table in this run. Safe to call from several threads. */
  public synchronized void touch(TableId table) {
    versionsBefore.computeIfAbsent(table, t -> lakehouse.version(spark, t));
  }

  /** As {@link #touch(TableId)}, with the version the caller has just read (saves a log read). */
  public synchronized void touch(TableId table, Optional<Long> currentVersion) {
    versionsBefore.putIfAbsent(table, currentVersion);
  }

  /** The tables this run has written so far, with their versions before it (empty: the run created the table). */
  public synchronized Map<TableId, Optional<Long>> touched() {
    return Map.copyOf(versionsBefore);
  }

  public synchronized void commit() {
    committed = true;
  }

  @Override
  public synchronized void close() {
    if (committed) {
      return;
    }
    for (Map.Entry<TableId, Optional<Long>> entry : versionsBefore.entrySet()) {
      TableId table = entry.getKey();
      try {
        rollback(table, entry.getValue());
      } catch (RuntimeException e) {
        LOG.error("Could not roll back {}: restore it by hand with RESTORE TABLE {} TO VERSION AS OF {}",
            table, table, entry.getValue().map(String::valueOf).orElse("(drop: created by the failed run)"), e);
      }
    }
  }

  private void rollback(TableId table, Optional<Long> before) {
    List<Long> foreign = lakehouse.exists(table) ? foreignCommits(table, before.orElse(-1L)) : List.of();
    if (!foreign.isEmpty()) {
      // Restoring (or removing) the table would silently discard another process's work.
      LOG.error("Did not roll back {}: another writer committed version(s) {} after this run's first write, and rolling back to {} "
          + "would discard them. Check DESCRIBE HISTORY {} (column userMetadata names each commit's process) and restore by hand "
          + "if this run's changes must go.", table, foreign, before.map(v -> "version " + v).orElse("nothing"), table);
      return;
    }
    if (before.isEmpty()) {
      if (lakehouse.exists(table)) {
        spark.sql("DROP TABLE IF EXISTS " + table.qualifiedName());
        org.carelake.core.io.MoreFiles.deleteRecursively(lakehouse.tablePath(table));
        org.apache.spark.sql.delta.DeltaLog.invalidateCache(spark, new org.apache.hadoop.fs.Path(lakehouse.tablePath(table).toString()));
        LOG.warn("Rolled back {}: removed the table this failed run created", table);
      }
      return;
    }
    long now = lakehouse.version(spark, table).orElse(TableWrite.NO_VERSION);
    if (now > before.get()) {
      spark.sql("RESTORE TABLE delta.`" + lakehouse.tablePath(table) + "` TO VERSION AS OF " + before.get());
      LOG.warn("Rolled back {} to version {}", table, before.get());
    }
  }

  /**
   * The versions after {@code after} whose commit does not carry this session's writer tag
   * ({@link SparkSessions#WRITER_TAG}): commits of another process, such as a task of the same
   * pipeline running beside this one.
   */
  private List<Long> foreignCommits(TableId table, long after) {
    String mine = spark.conf().get(SparkSessions.WRITER_CONF, null);
    List<Long> foreign = new ArrayList<>();
    lakehouse.commits(spark, table, after + 1).forEach((version, info) -> {
      String tag = info == null || info.userMetadata().isEmpty() ? null : info.userMetadata().get();
      if (!java.util.Objects.equals(tag, mine)) {
        foreign.add(version);
      }
    });
    return foreign;
  }
}
