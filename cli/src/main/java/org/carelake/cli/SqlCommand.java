package org.carelake.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Runs SQL against the lakehouse tables. */
@Command(name = "sql", mixinStandardHelpOptions = true,
    description = "Run a SQL query against the lakehouse; tables are named layer.table, e.g. silver.patient.",
    footer = {"", "Example:", "  ./carelake sql \"SELECT gender, count(*) FROM silver.patient GROUP BY gender\""})
public final class SqlCommand implements Callable<Integer> {

  @Mixin GlobalOptions global;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "QUERY", description = "The SQL query.")
  String query;

  @Option(names = "--limit", defaultValue = "100", description = "Rows to print at most (default: ${DEFAULT-VALUE}).")
  int limit;

  @Override
  public Integer call() {
    Dataset<Row> result = new CliContext(global).spark().sql(query);
    List<Row> rows = result.limit(limit + 1).collectAsList();
    var out = spec.commandLine().getOut();
    out.println(String.join("\t", result.columns()));
    rows.stream().limit(limit).forEach(r -> {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.size(); i++) {
        line.append(i == 0 ? "" : "\t").append(r.isNullAt(i) ? "NULL" : String.valueOf(r.get(i)));
      }
      out.println(line);
    });
    if (rows.size() > limit) {
      out.println("... (more rows; raise --limit)");
    }
    out.flush();
    return 0;
  }
}
