package org.carelake.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the CLI in-process with captured output, as picocli recommends for testing. */
final class CliRunner {

  record Result(int exitCode, String out, String err) {}

  private CliRunner() {}

  static Result run(String... args) {
    CommandLine cli = CareLakeCli.newCommandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }
}
