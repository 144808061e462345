package org.carelake.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.parser.ParseException;
import org.carelake.core.CareLakeException;
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
    Dataset<Row> result;
    List<Row> rows;
    try {
      result = new CliContext(global).spark().sql(query);
      rows = result.limit(limit + 1).collectAsList();
    } catch (Exception e) { // Scala declares no exceptions: an AnalysisException reaches Java undeclared
      if (!(e instanceof AnalysisException a)) {
        throw e;
      }
      throw CareLakeException.badInput("The query cannot run: " + describe(a),
          "check the SQL; tables are named layer.table, e.g. silver.patient (./carelake tables lists them).");
    }
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

  /**
   * Spark's own account of a syntax error (with the query and a caret under the position), or of an
   * unknown table or column, without the logical plan Spark appends to the latter.
   */
  static String describe(AnalysisException e) {
    return (e instanceof ParseException ? e.getMessage() : e.getSimpleMessage()).strip();
  }
}
