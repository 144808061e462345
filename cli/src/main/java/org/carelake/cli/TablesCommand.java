package org.carelake.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.Lakehouse;
import org.carelake.core.TableId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Lists lakehouse tables with row counts and Delta versions. */
@Command(name = "tables", mixinStandardHelpOptions = true,
    description = "List every lakehouse table with its row count and current Delta version.")
public final class TablesCommand implements Callable<Integer> {

  @Mixin GlobalOptions global;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    CliContext context = new CliContext(global);
    SparkSession spark = context.spark();
    Lakehouse lakehouse = context.lakehouse();
    var out = spec.commandLine().getOut();
    List<TableId> tables = lakehouse.tables();
    if (tables.isEmpty()) {
      out.printf("No tables in lakehouse %s yet: ./carelake demo builds them all, or ingest your data (./carelake --help); "
          + "--lakehouse names another folder.%n", lakehouse.root());
      out.flush();
      return 0;
    }
    out.printf("%-42s %12s %8s%n", "table", "rows", "version");
    for (TableId table : tables) {
      long rows = lakehouse.read(spark, table).count();
      out.printf("%-42s %12d %8d%n", table.qualifiedName(), rows, lakehouse.version(spark, table).orElse(-1L));
    }
    out.flush();
    return 0;
  }
}
