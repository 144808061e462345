package org.carelake.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** The real files in {@code ../shared/data} that conformance tests read in place (never copied). */
public final class SharedData {

  private SharedData() {}

  /** The folder or file, or skips the calling test with a clear message when it is absent. */
  public static Path require(String subfolder) {
    String configured = System.getProperty("carelake.shared.data");
    Path root = configured != null ? Path.of(configured) : Path.of("..", "shared", "data");
    Path dir = root.resolve(subfolder).normalize();
    Assumptions.assumeTrue(Files.exists(dir),
        "conformance data not found at " + dir.toAbsolutePath()
            + ": clone the repository with ../shared beside it (CI always has it) to run this test");
    return dir;
  }
}
