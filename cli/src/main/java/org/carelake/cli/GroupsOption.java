package org.carelake.cli;

import java.nio.file.Path;
import org.carelake.core.SensitiveGroups;
import picocli.CommandLine.Option;

/** {@code --bias-config}: the sensitive groups (age bands, payer types) of a bias configuration, as {@code quality bias} reads them. */
final class GroupsOption {

  @Option(names = "--bias-config", paramLabel = "FILE",
      description = "Bias configuration whose age_bands and payer_types define the sensitive groups (default: built in; the same file as "
          + "quality bias --bias-config).")
  Path file;

  /** Read and validated before any Spark job. */
  SensitiveGroups groups() {
    return SensitiveGroups.load(file);
  }
}
