package org.carelake.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.carelake.core.report.Reports;
import org.carelake.core.testing.LeftBehind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagingFoldersTest {

  private static List<String> names(Path parent) throws Exception {
    try (var children = Files.list(parent)) {
      return children.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void createNamesThisProcessAndRemoveTakesBoth(@TempDir Path dir) throws Exception {
    Path staging = StagingFolders.create(dir.resolve("new"), ".work-");
    assertThat(staging).isDirectory();
    assertThat(names(dir.resolve("new"))).containsExactlyInAnyOrder(staging.getFileName().toString(),
        staging.getFileName() + StagingFolders.OWNER_SUFFIX);
    assertThat(StagingFolders.removeAbandoned(dir.resolve("new"), ".work-", "work")).as("this process runs").isEmpty();
    Files.writeString(staging.resolve("f"), "x");
    StagingFolders.remove(staging);
    assertThat(names(dir.resolve("new"))).isEmpty();
  }

  @Test
  void onlyFoldersOfStoppedProcessesOfThisHostAreRemoved(@TempDir Path dir) throws Exception {
    Path dead = LeftBehind.stagingFolder(dir, ".work-dead", LeftBehind.stoppedProcess());
    Path live = LeftBehind.stagingFolder(dir, ".work-live", ProcessOwner.current());
    Path elsewhere = LeftBehind.stagingFolder(dir, ".work-elsewhere", new ProcessOwner(1, null, "another-host"));
    Path unknown = Files.createDirectories(dir.resolve(".work-unknown"));
    Path ownerOnly = Files.writeString(dir.resolve(".work-gone" + StagingFolders.OWNER_SUFFIX),
        Reports.JSON.writeValueAsString(LeftBehind.stoppedProcess().toJson()));
    Path other = Files.createDirectories(dir.resolve("v1"));

    List<String> lines = StagingFolders.removeAbandoned(dir, ".work-", "a population");

    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith("Removed " + dead + ": a population left by process ").endsWith("which stopped before finishing it.");
    assertThat(lines.get(1)).startsWith("Left alone: " + unknown).contains("missing or unreadable");
    assertThat(dead).doesNotExist();
    assertThat(ownerOnly).as("an owner file alone, of a stopped process").doesNotExist();
    assertThat(live).exists();
    assertThat(elsewhere).exists();
    assertThat(unknown).exists();
    assertThat(other).exists();
    assertThat(StagingFolders.removeAbandoned(dir, ".work-", "a population")).containsExactly(lines.get(1));
  }
}
