package org.carelake.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.carelake.core.CareLakeException;
import org.carelake.core.Progress;
import org.carelake.pipelines.quality.QualityResult;
import org.carelake.pipelines.quality.QualityRunner;
import org.carelake.pipelines.quality.SilverSuites;
import org.carelake.pipelines.quality.TableSuite;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code quality run}: Deequ checks of the silver tables, with a gate. */
@Command(name = "quality", mixinStandardHelpOptions = true, description = "Data quality checks (Deequ) and reports.",
    subcommands = QualityCommand.Run.class)
public final class QualityCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = {"Run the check suites of the silver tables; record verdicts per Delta version; write the report.",
          "Exits 1 when an error-level check fails: downstream steps refuse unchecked or failed versions."})
  static final class Run implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec CommandSpec spec;

    @Option(names = "--table", paramLabel = "TABLE", description = "Only this table, e.g. silver.observation.")
    String table;

    @Override
    public Integer call() {
      CliContext context = new CliContext(global);
      QualityResult result = run(context, table, new Progress(context.progressStream(), 0));
      print(result, spec.commandLine().getOut());
      if (!result.passed()) {
        throw CareLakeException.gateFailed("Quality gate failed: " + result.failedErrors() + " error-level constraints failed.",
            "see " + result.htmlReport() + ", fix the data or its source, and re-ingest.");
      }
      return 0;
    }
  }

  static QualityResult run(CliContext context, String table, Progress progress) {
    List<TableSuite> suites = SilverSuites.all(context.spark(), context.lakehouse());
    if (table != null) {
      suites = suites.stream().filter(s -> s.table().qualifiedName().equals(table)).toList();
      if (suites.isEmpty()) {
        throw CareLakeException.badInput("No check suite for table " + table + ".",
            "use one of the silver tables: silver.patient, silver.encounter, silver.condition, silver.observation, silver.medication_request.");
      }
    }
    return new QualityRunner(context.spark(), context.lakehouse(), progress).run(suites);
  }

  static void print(QualityResult result, java.io.PrintWriter out) {
    out.printf("Quality run %s: %s%n", result.runId(), result.passed() ? "PASS" : "FAIL");
    for (QualityResult.TableVerdict t : result.tables()) {
      out.printf("  %-28s v%-4d %-4s %d rows%n", t.table(), t.deltaVersion(), t.verdict(), t.rows());
    }
    out.printf("  report: %s%n  json:   %s%n", result.htmlReport(), result.jsonReport());
    out.flush();
  }
}
