package org.carelake.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.carelake.core.report.Reports;

/**
 * Hidden folders where work outside Delta is assembled before it is moved into place (a model
 * version, a generated population). Each has a sibling {@code <folder>.owner.json} naming the
 * process that created it, written first, so a later process can remove the folders of a process
 * that was killed instead of letting them pile up.
 */
public final class StagingFolders {

  public static final String OWNER_SUFFIX = ".owner.json";

  private StagingFolders() {}

  /** Creates {@code <parent>/<prefix><uuid>} for this process (its owner file first). */
  public static Path create(Path parent, String prefix) {
    Path staging = parent.resolve(prefix + UUID.randomUUID());
    try {
      Files.createDirectories(parent);
      Files.writeString(ownerFile(staging), Reports.JSON.writeValueAsString(ProcessOwner.current().toJson()));
      Files.createDirectory(staging);
      return staging;
    } catch (IOException e) {
      throw new UncheckedIOException("could not create a staging folder in " + parent, e);
    }
  }

  /** Removes a staging folder, if still there (it is gone once moved into place), and its owner file. */
  public static void remove(Path staging) {
    try {
      if (Files.exists(staging)) {
        try (Stream<Path> paths = Files.walk(staging)) {
          for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
      Files.deleteIfExists(ownerFile(staging));
    } catch (IOException e) {
      throw new UncheckedIOException("could not remove the staging folder " + staging, e);
    }
  }

  /** {@link #remove} for a {@code finally}: a folder that cannot be removed now is left for {@link #removeAbandoned}. */
  public static void removeQuietly(Path staging) {
    try {
      remove(staging);
    } catch (UncheckedIOException leftForLater) {
      // removeAbandoned() removes it once this process has stopped
    }
  }

  /**
   * Removes the staging folders {@code <parent>/<prefix>*} whose process has stopped, with their
   * owner files, and returns one line per folder removed or left alone. A folder of a running
   * process, or of another host, is left alone without a line; one without a readable owner file
   * is left alone and reported.
   *
   * @param what what the folders hold, for the lines ("a version of model m")
   */
  public static List<String> removeAbandoned(Path parent, String prefix, String what) {
    if (!Files.isDirectory(parent)) {
      return List.of();
    }
    List<Path> stagings;
    try (Stream<Path> children = Files.list(parent)) {
      // A folder, its owner file, or both (a process can stop between writing one and the other).
      stagings = children.map(p -> p.getFileName().toString()).filter(name -> name.startsWith(prefix))
          .map(name -> parent.resolve(name.endsWith(OWNER_SUFFIX) ? name.substring(0, name.length() - OWNER_SUFFIX.length()) : name))
          .distinct().sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("could not list " + parent, e);
    }
    List<String> lines = new ArrayList<>();
    for (Path staging : stagings) {
      ProcessOwner owner = owner(staging);
      if (owner == null) {
        lines.add("Left alone: " + staging + " names no process that created it (its " + OWNER_SUFFIX + " is missing or unreadable); "
            + "remove both if it is not in use.");
      } else if (owner.onThisHost() && !owner.aliveOnThisHost()) {
        boolean folder = Files.exists(staging);
        remove(staging);
        if (folder) {
          lines.add("Removed " + staging + ": " + what + " left by process " + owner.pid() + " (started " + owner.started()
              + "), which stopped before finishing it.");
        }
      }
    }
    return lines;
  }

  static Path ownerFile(Path staging) {
    return staging.resolveSibling(staging.getFileName() + OWNER_SUFFIX);
  }

  private static ProcessOwner owner(Path staging) {
    try {
      return ProcessOwner.fromJson(Reports.JSON.readValue(ownerFile(staging).toFile(), Map.class));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
