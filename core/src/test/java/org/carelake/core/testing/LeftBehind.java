package org.carelake.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.carelake.core.ProcessOwner;
import org.carelake.core.StagingFolders;
import org.carelake.core.report.Reports;

/** What a killed process leaves on disk, for tests of the recovery that cleans it up. */
public final class LeftBehind {

  private LeftBehind() {}

  /** A process of this host that has exited. */
  public static ProcessOwner stoppedProcess() throws IOException, InterruptedException {
    Process process = new ProcessBuilder("true").start();
    if (process.waitFor() != 0) {
      throw new IllegalStateException("'true' exited with " + process.exitValue());
    }
    return new ProcessOwner(process.pid(), null, ProcessOwner.current().host());
  }

  /**
   * A {@link StagingFolders} folder {@code <parent>/<name>} holding a file, with the owner file naming
   * {@code owner}, as a process leaves it when killed before it finished.
   */
  public static Path stagingFolder(Path parent, String name, ProcessOwner owner) throws IOException {
    Path folder = parent.resolve(name);
    Files.createDirectories(folder.resolve("part"));
    Files.writeString(folder.resolve("part").resolve("data"), "x");
    Files.writeString(parent.resolve(name + StagingFolders.OWNER_SUFFIX), Reports.JSON.writeValueAsString(owner.toJson()));
    return folder;
  }
}
