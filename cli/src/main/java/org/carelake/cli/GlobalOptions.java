package org.carelake.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every subcommand takes. */
public final class GlobalOptions {

  public static final String ENV_LAKEHOUSE = "CARELAKE_LAKEHOUSE";

  @Option(names = "--lakehouse", paramLabel = "DIR",
      description = "Lakehouse folder (default: $${" + ENV_LAKEHOUSE + "} or ./lakehouse).")
  Path lakehouse;

  @Option(names = "--master", paramLabel = "URL", defaultValue = "local[*]",
      description = "Spark master URL (default: ${DEFAULT-VALUE}).")
  String master;

  public Path lakehouse() {
    if (lakehouse != null) {
      return lakehouse;
    }
    String env = System.getenv(ENV_LAKEHOUSE);
    return Path.of(env == null || env.isBlank() ? "lakehouse" : env);
  }
}
