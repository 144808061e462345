package org.carelake.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.parser.ParseException;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.CommandExecutionMode$;
import org.carelake.core.CareLakeException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Runs SQL against the lakehouse tables. Read-only unless {@code --allow-writes}: tables change through
 * the pipelines, which pseudonymize, check quality and roll back on failure; a statement here does
 * none of that (e.g. {@code CREATE TABLE gold.x AS SELECT * FROM bronze.fhir_resource} would copy raw
 * records, names included, into gold). A guard against mistakes, not an access control.
 */
@Command(name = "sql", mixinStandardHelpOptions = true,
    description = {"Run a SQL query against the lakehouse; tables are named layer.table, e.g. silver.patient.",
        "Queries, SHOW and DESCRIBE (also DESCRIBE HISTORY) only, unless --allow-writes."},
    footer = {"", "Examples:", "  ./carelake sql \"SELECT gender, count(*) FROM silver.patient GROUP BY gender\"",
        "  ./carelake sql \"DESCRIBE HISTORY silver.patient\"",
        "  ./carelake sql --allow-writes \"RESTORE TABLE silver.patient TO VERSION AS OF 3\""})
public final class SqlCommand implements Callable<Integer> {

  /** Statements that read the catalog or a table's metadata and change nothing (parsed plan classes). */
  private static final java.util.Set<String> READ_ONLY_COMMANDS = java.util.Set.of(
      "ShowTables", "ShowTablesExtended", "ShowViews", "ShowNamespaces", "ShowColumns", "ShowTableProperties",
      "ShowCreateTable", "ShowPartitions", "ShowFunctions", "ShowCatalogs", "ShowCurrentNamespaceCommand",
      "DescribeRelation", "DescribeColumn", "DescribeNamespace", "DescribeFunction", "ExplainCommand",
      "DescribeDeltaHistory", "DescribeDeltaDetailCommand", "SetCatalogAndNamespace");

  @Mixin GlobalOptions global;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "QUERY", description = "The SQL query.")
  String query;

  @Option(names = "--limit", defaultValue = "100", description = "Rows to print at most (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--allow-writes", description = {"Also run statements that change the lakehouse (RESTORE, DELETE, CREATE, ...),",
      "outside the pipelines' pseudonymization, quality checks and rollback."})
  boolean allowWrites;

  @Override
  public Integer call() {
    Dataset<Row> result;
    List<Row> rows;
    try {
      SparkSession spark = new CliContext(global).spark();
      if (!allowWrites) {
        refuseWrites(spark, spark.sessionState().sqlParser().parsePlan(query));
      }
      result = spark.sql(query);
      rows = result.limit(limit + 1).collectAsList();
    } catch (Exception e) { // Scala declares no exceptions: an AnalysisException reaches Java undeclared
      if (!(e instanceof AnalysisException a)) {
        throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
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
   * Refuses (exit 2) a statement that is not a query, SHOW or DESCRIBE. Judged on the parsed plan, then,
   * for what parses as a query, on the analyzed plan (commands not run), where an extension's statement
   * not known here would have become a command.
   */
  static void refuseWrites(SparkSession spark, LogicalPlan parsed) {
    String statement = parsed.getClass().getSimpleName();
    if (READ_ONLY_COMMANDS.contains(statement)) {
      return;
    }
    if (parsed.exists(SqlCommand::statementNode)
        || spark.sessionState().executePlan(parsed, CommandExecutionMode$.MODULE$.SKIP()).analyzed().exists(SqlCommand::statementNode)) {
      throw CareLakeException.badInput("sql runs queries, SHOW and DESCRIBE only, and this statement (" + statement + ") is none "
          + "of them: writes here would bypass the pipelines, which pseudonymize, check quality and roll back on failure.",
          "load data with ./carelake ingest ... and derived tables with gold, features or train; to change a table by hand "
              + "(e.g. RESTORE TABLE silver.patient TO VERSION AS OF 3), add --allow-writes.");
    }
  }

  /** A command, or a statement parsed into its own plan node (Spark's and Delta's, e.g. RestoreTableStatement). */
  private static boolean statementNode(LogicalPlan node) {
    return node instanceof org.apache.spark.sql.catalyst.plans.logical.Command
        || node instanceof org.apache.spark.sql.catalyst.plans.logical.ParsedStatement
        || node.getClass().getSimpleName().endsWith("Statement");
  }

  /**
   * Spark's own account of a syntax error (with the query and a caret under the position), or of an
   * unknown table or column, without the logical plan Spark appends to the latter.
   */
  static String describe(AnalysisException e) {
    return (e instanceof ParseException ? e.getMessage() : e.getSimpleMessage()).strip();
  }
}
