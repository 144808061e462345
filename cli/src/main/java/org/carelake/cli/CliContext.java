package org.carelake.cli;

import java.io.PrintStream;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.spark.SparkSessions;

/**
 * The lakehouse and SparkSession a command works on. One session per process, created on first
 * use, with every lakehouse table registered in the catalog so SQL can name it, after any run killed
 * before it committed has been rolled back.
 */
public final class CliContext {

  private static SparkSession shared;

  private final GlobalOptions options;
  private boolean registered;

  public CliContext(GlobalOptions options) {
    this.options = options;
  }

  public Lakehouse lakehouse() {
    return new Lakehouse(options.lakehouse());
  }

  public synchronized SparkSession spark() {
    if (shared == null) {
      shared = SparkSessions.create(options.master, "carelake", 4);
    }
    if (!registered) {
      // Once per command, before anything reads or writes: finish the rollback of any run that was
      // killed before it could commit or roll back (its tables back at their last good version).
      for (String line : LakehouseTransaction.recoverAbandoned(shared, lakehouse())) {
        progressStream().println(line);
      }
      // Tables this command creates register themselves on their first write.
      lakehouse().registerTables(shared);
      registered = true;
    }
    return shared;
  }

  public PrintStream progressStream() {
    return System.err;
  }

  static synchronized void closeShared() {
    if (shared != null) {
      shared.stop();
      shared = null;
    }
  }
}
