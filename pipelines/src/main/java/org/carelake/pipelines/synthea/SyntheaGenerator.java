package org.carelake.pipelines.synthea;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.carelake.core.Progress;
import org.carelake.core.StagingFolders;
import org.carelake.core.io.MoreFiles;

/**
 * Generates a Synthea population as FHIR Bulk Data NDJSON, in a child JVM.
 *
 * <p>Why a child JVM: Synthea holds whole patient histories in memory and keeps static state, and
 * it prints every generated patient's name and town. The child gets its own heap, and its output is
 * read here and reduced to a patient count: no generated name ever reaches our logs.
 *
 * <p>Same options, same bytes: the simulation ends at the reference date ({@code -e}; without it
 * Synthea simulates up to the wall clock, so every run differed and records reached past the
 * reference date), patients are simulated on one thread (with several, Synthea 3.3.0 fills some
 * lists, e.g. CarePlan activities and allergy reaction severities, from state the threads share),
 * and lines are sorted after generation.
 */
public final class SyntheaGenerator {

  private static final Pattern PATIENT_LINE = Pattern.compile("^\\d+ -- ");
  private static final String DONE_MARKER = "_SUCCESS";
  /** Synthea's working folder (a {@link StagingFolders} folder; a killed run's is removed by the next). */
  static final String WORK_PREFIX = ".generating-";

  private final Path cacheRoot;

  /** @param cacheRoot folder under which each population lives in its own folder */
  public SyntheaGenerator(Path cacheRoot) {
    this.cacheRoot = cacheRoot;
  }

  /** The NDJSON folder for {@code options}: reused when already generated, else generated now. */
  public Path generate(SyntheaOptions options, Progress progress) {
    Path target = cacheRoot.resolve(options.cacheKey());
    StagingFolders.removeAbandoned(cacheRoot, WORK_PREFIX, "a population being generated").forEach(progress::detail);
    if (Files.exists(target.resolve(DONE_MARKER))) {
      progress.detail("reusing generated population " + target.getFileName());
      return target;
    }
    Path work = StagingFolders.create(cacheRoot, WORK_PREFIX);
    try {
      runSynthea(options, work, progress);
      Path fhir = work.resolve("fhir");
      Path staged = Files.createDirectories(work.resolve("ndjson"));
      try (Stream<Path> files = Files.list(fhir)) {
        for (Path file : files.filter(p -> p.toString().endsWith(".ndjson")).sorted().toList()) {
          List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
          lines.sort(Comparator.naturalOrder());
          Files.write(staged.resolve(file.getFileName()), lines, StandardCharsets.UTF_8);
        }
      }
      Files.writeString(staged.resolve(DONE_MARKER), options + "\n");
      MoreFiles.deleteRecursively(target);
      Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("Synthea generation failed under " + cacheRoot, e);
    } finally {
      StagingFolders.removeQuietly(work);
    }
  }

  private static void runSynthea(SyntheaOptions options, Path work, Progress progress) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx3g",
        "-Dorg.freemarker.loggerLibrary=none",
        "-cp", System.getProperty("java.class.path"),
        "App",
        "-s", Long.toString(options.seed()),
        "-cs", Long.toString(options.seed()),
        "-r", options.referenceDate().format(DateTimeFormatter.BASIC_ISO_DATE),
        "-e", options.referenceDate().format(DateTimeFormatter.BASIC_ISO_DATE),
        "-p", Integer.toString(options.patients()),
        "--exporter.baseDirectory=" + work.toAbsolutePath() + "/",
        "--generate.thread_pool_size=1",
        "--exporter.fhir.bulk_data=true",
        "--exporter.fhir.included_resources=" + String.join(",", options.resourceTypes()),
        "--exporter.hospital.fhir.export=false",
        "--exporter.practitioner.fhir.export=false",
        "--exporter.metadata.export=false",
        "--generate.log_patients.detail=simple",
        options.state()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    int generated = 0;
    int step = Math.max(1, options.patients() / 10);
    List<String> errors = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (PATIENT_LINE.matcher(line).find()) {
          generated++;
          if (generated % step == 0) {
            progress.detail("Synthea: " + generated + " patients simulated (target " + options.patients() + " alive)");
          }
        } else if (line.contains("Exception") || line.startsWith("Error")) {
          // Exception lines name classes, not patients; keep a few for the error message.
          if (errors.size() < 5) {
            errors.add(line.length() > 300 ? line.substring(0, 300) : line);
          }
        }
      }
    }
    try {
      int exit = process.waitFor();
      if (exit != 0 || !Files.isDirectory(work.resolve("fhir"))) {
        throw new IllegalStateException("Synthea exited with " + exit + " and wrote no FHIR output. First errors: " + errors);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IllegalStateException("interrupted while Synthea was running", e);
    }
  }
}
