package org.carelake.cli;

import java.io.PrintWriter;
import org.carelake.core.CareLakeException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./carelake}: the command line of the CareLake platform. */
@Command(
    name = "carelake",
    mixinStandardHelpOptions = true,
    version = "CareLake 0.1.0",
    description = "Batch analytics and model training for personalized healthcare, on Spark and Delta Lake.",
    footer = {"", "Exit codes: 0 success, 1 a quality or fairness gate failed, 2 bad usage or bad input, 3 internal error."},
    subcommands = {
      DemoCommand.class,
      GenerateCommand.class,
      IngestCommand.class,
      GoldCommand.class,
      GenomicCommands.Prs.class,
      GenomicCommands.Pgx.class,
      QualityCommand.class,
      CohortCommand.class,
      FeaturesCommand.class,
      TrainsetCommand.class,
      TrainCommand.class,
      RegistryCommand.class,
      SqlCommand.class,
      TablesCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class CareLakeCli implements Runnable {

  public static final int EXIT_INTERNAL = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    int exit = newCommandLine().execute(args);
    CliContext.closeShared();
    System.exit(exit);
  }

  /** The configured command line; tests call {@code execute} on it with captured output. */
  public static CommandLine newCommandLine() {
    CommandLine cli = new CommandLine(new CareLakeCli());
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      PrintWriter err = commandLine.getErr();
      CareLakeException known = find(e);
      if (known != null) {
        err.println("carelake: " + known.getMessage());
        err.flush();
        return known.kind().exitCode();
      }
      err.println("carelake: internal error: " + e);
      e.printStackTrace(err);
      err.flush();
      return EXIT_INTERNAL;
    });
    return cli;
  }

  private static CareLakeException find(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CareLakeException c) {
        return c;
      }
    }
    return null;
  }
}
