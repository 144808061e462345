package org.carelake.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
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
 *
 * <p>A process that stops before it commits or rolls back (killed by a scheduler's timeout, out of
 * memory) cannot roll back itself. Each open transaction therefore keeps a journal in the lakehouse
 * ({@link TransactionJournal}), and the next CareLake process on the lakehouse finishes that rollback
 * with {@link #recoverAbandoned}, under the same rule about other writers' commits.
 */
public final class LakehouseTransaction implements AutoCloseable {

  private static final Logger LOG = LogManager.getLogger(LakehouseTransaction.class);

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final Map<TableId, Optional<Long>> versionsBefore = new LinkedHashMap<>();
  private final TransactionJournal journal;
  private boolean committed;

  public LakehouseTransaction(SparkSession spark, Lakehouse lakehouse) {
    this(spark, lakehouse, ProcessOwner.current());
  }

  /** For tests: a transaction journaled as another process's. */
  LakehouseTransaction(SparkSession spark, Lakehouse lakehouse, ProcessOwner owner) {
    this.spark = spark;
    this.lakehouse = lakehouse;
    this.journal = new TransactionJournal(lakehouse, owner);
  }

  /** Call before the first write to a table in this run. Safe to call from several threads. */
  public synchronized void touch(TableId table) {
    if (!versionsBefore.containsKey(table)) {
      touch(table, lakehouse.version(spark, table));
    }
  }

  /** As {@link #touch(TableId)}, with the version the caller has just read (saves a log read). */
  public synchronized void touch(TableId table, Optional<Long> currentVersion) {
    if (versionsBefore.putIfAbsent(table, currentVersion) == null) {
      // on disk before the write: a process killed after it leaves enough for the next one to roll back
      journal.write(spark.conf().get(SparkSessions.WRITER_CONF, null), versionsBefore);
    }
  }

  /** The tables this run has written so far, with their versions before it (empty: the run created the table). */
  public synchronized Map<TableId, Optional<Long>> touched() {
    return Map.copyOf(versionsBefore);
  }

  public synchronized void commit() {
    journal.remove();
    committed = true;
  }

  @Override
  public synchronized void close() {
    if (committed) {
      return;
    }
    rollback(spark, lakehouse, spark.conf().get(SparkSessions.WRITER_CONF, null), versionsBefore, journal.file());
  }

  /**
   * Finishes the rollback of every transaction whose process stopped before committing or rolling
   * back, as its journal records it, and removes the journal. Journals of running processes are left
   * alone; a journal from another host is reported, not acted on (whether that process still runs
   * cannot be told from here). Returns one line per journal for the person running the command.
   */
  public static List<String> recoverAbandoned(SparkSession spark, Lakehouse lakehouse) {
    List<String> lines = new ArrayList<>();
    for (TransactionJournal.Entry entry : TransactionJournal.all(lakehouse, problem -> lines.add(problem + " Check the tables it "
        + "names by hand (DESCRIBE HISTORY shows each commit's process), then delete it."))) {
      ProcessOwner owner = entry.owner();
      String run = "a run of process " + owner.pid() + " (started " + owner.started() + ", transaction opened " + entry.openedAt() + ")";
      if (!owner.onThisHost()) {
        lines.add("Left alone: " + run + " on host " + owner.host() + " did not finish; from here it cannot be told whether it still "
            + "runs. Once it is gone, run CareLake on that host, or by hand (./carelake sql --allow-writes \"RESTORE TABLE ...\") "
            + "put back " + entry.versionsBefore().entrySet().stream().map(e -> e.getKey() + e.getValue()
                .map(v -> " at version " + v).orElse(" removed (created by that run)"))
                .collect(Collectors.joining(", ")) + ", and delete " + entry.file() + ".");
        continue;
      }
      if (owner.aliveOnThisHost()) {
        continue;
      }
      Map<TableId, String> outcomes = rollback(spark, lakehouse, entry.writer(), entry.versionsBefore(), entry.file());
      lines.add("Rolled back " + run + ", which stopped before it committed: " + outcomes.entrySet().stream()
          .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining("; ")) + ".");
    }
    return lines;
  }

  /**
   * Rolls back each table to its version before and returns what happened to each. Removes the run's
   * journal once every table is rolled back; if one could not be, the journal stays for the next process.
   */
  private static Map<TableId, String> rollback(SparkSession spark, Lakehouse lakehouse, String writer,
      Map<TableId, Optional<Long>> versionsBefore, java.nio.file.Path journal) {
    Map<TableId, String> outcomes = new LinkedHashMap<>();
    boolean complete = true;
    for (Map.Entry<TableId, Optional<Long>> entry : versionsBefore.entrySet()) {
      TableId table = entry.getKey();
      try {
        outcomes.put(table, rollback(spark, lakehouse, writer, table, entry.getValue()));
      } catch (RuntimeException e) {
        LOG.error("Could not roll back {}: the next CareLake command on this lakehouse tries again (the run's journal is kept), "
            + "or restore it by hand with {}", table, entry.getValue()
            .map(v -> "./carelake sql --allow-writes \"RESTORE TABLE " + table + " TO VERSION AS OF " + v + "\"")
            .orElse("removing the folder " + lakehouse.tablePath(table) + " (the failed run created it)"), e);
        outcomes.put(table, "could not be rolled back (" + e.getClass().getSimpleName() + "; see the log)");
        complete = false;
      }
    }
    if (complete) {
      TransactionJournal.remove(journal);
    }
    return outcomes;
  }

  private static String rollback(SparkSession spark, Lakehouse lakehouse, String writer, TableId table, Optional<Long> before) {
    List<Long> foreign = lakehouse.exists(table) ? foreignCommits(spark, lakehouse, writer, table, before.orElse(-1L)) : List.of();
    if (!foreign.isEmpty()) {
      // Restoring (or removing) the table would silently discard another process's work.
      LOG.error("Did not roll back {}: another writer committed version(s) {} after this run's first write, and rolling back to {} "
          + "would discard them. Check DESCRIBE HISTORY {} (column userMetadata names each commit's process) and restore by hand "
          + "if this run's changes must go.", table, foreign, before.map(v -> "version " + v).orElse("nothing"), table);
      return "left as it is: another writer committed version(s) " + foreign + " since";
    }
    if (before.isEmpty()) {
      if (lakehouse.exists(table)) {
        spark.sql("DROP TABLE IF EXISTS " + table.qualifiedName());
        org.carelake.core.io.MoreFiles.deleteRecursively(lakehouse.tablePath(table));
        org.apache.spark.sql.delta.DeltaLog.invalidateCache(spark, new org.apache.hadoop.fs.Path(lakehouse.tablePath(table).toString()));
        LOG.warn("Rolled back {}: removed the table this failed run created", table);
        return "removed (the run created it)";
      }
      if (java.nio.file.Files.isDirectory(lakehouse.tablePath(table))) {
        // No log: the folder holds only data files the run moved in before its first commit (DeltaWriter#create).
        org.carelake.core.io.MoreFiles.deleteRecursively(lakehouse.tablePath(table));
        return "not created (its uncommitted files removed)";
      }
      return "not created";
    }
    long now = lakehouse.version(spark, table).orElse(TableWrite.NO_VERSION);
    if (now > before.get()) {
      spark.sql("RESTORE TABLE delta.`" + lakehouse.tablePath(table) + "` TO VERSION AS OF " + before.get());
      LOG.warn("Rolled back {} to version {}", table, before.get());
      return "restored to version " + before.get();
    }
    return "unchanged at version " + before.get();
  }

  /**
   * The versions after {@code after} whose commit does not carry the given writer tag
   * ({@link SparkSessions#WRITER_TAG} of the run being rolled back): commits of another process,
   * such as a task of the same pipeline running beside this one.
   */
  private static List<Long> foreignCommits(SparkSession spark, Lakehouse lakehouse, String mine, TableId table, long after) {
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
