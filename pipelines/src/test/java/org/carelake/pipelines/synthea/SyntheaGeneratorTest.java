package org.carelake.pipelines.synthea;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.carelake.core.ProcessOwner;
import org.carelake.core.Progress;
import org.carelake.core.testing.LeftBehind;
import org.carelake.pipelines.fhir.internal.Mappers;
import org.carelake.pipelines.testing.SyntheaFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated populations the demo and the tests use: reproducible to the byte, and nothing after the reference date. */
class SyntheaGeneratorTest {

  private static final Pattern DATE_TIME = Pattern.compile("\"(\\d{4}-\\d{2}-\\d{2})T\\d{2}:\\d{2}");
  private static final Pattern COVERAGE_YEAR_END = Pattern.compile("(\"billablePeriod\":\\{\"start\":\"[^\"]+\"),\"end\":\"[^\"]+\"");

  @TempDir Path dir;

  @Test
  void theSameOptionsGiveByteIdenticalFiles_andAKilledRunsWorkFolderIsRemoved() throws Exception {
    SyntheaOptions options = new SyntheaOptions(8, 7, LocalDate.of(2024, 6, 30), SyntheaOptions.DEFAULT_STATE, Mappers.DEMO_TYPES);
    Path first = new SyntheaGenerator(dir.resolve("a")).generate(options, Progress.silent());
    // Before the second: the work folder of a generation whose process was killed, with its owner file.
    ProcessOwner gone = LeftBehind.stoppedProcess();
    Path killed = LeftBehind.stagingFolder(dir.resolve("b"), SyntheaGenerator.WORK_PREFIX + "killed", gone);
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    Path second = new SyntheaGenerator(dir.resolve("b")).generate(options, new Progress(new PrintStream(progress, true, UTF_8), 0));

    List<String> names = ndjson(first);
    assertThat(names).isNotEmpty().isEqualTo(ndjson(second));
    for (String name : names) {
      assertThat(Files.mismatch(first.resolve(name), second.resolve(name))).as(name).isEqualTo(-1L);
    }
    assertThat(progress.toString(UTF_8)).contains("Removed " + killed + ": a population being generated left by process "
        + gone.pid());
    for (Path cache : List.of(dir.resolve("a"), dir.resolve("b"))) {
      try (Stream<Path> children = Files.list(cache)) {
        assertThat(children.map(p -> p.getFileName().toString())).as("only the population is left in " + cache)
            .containsExactly(options.cacheKey());
      }
    }
  }

  @Test
  void noRecordOfTheSharedPopulationIsDatedAfterItsReferenceDate() throws IOException {
    Path population = SyntheaFixture.ndjson();
    String last = SyntheaFixture.options().referenceDate().toString();
    long checked = 0;
    for (String name : ndjson(population)) {
      for (String line : Files.readAllLines(population.resolve(name))) {
        if (name.startsWith("ExplanationOfBenefit")) {
          // Synthea ends an EOB's billable period one year after its claim, so it may end after the reference date
          line = COVERAGE_YEAR_END.matcher(line).replaceAll("$1");
        }
        Matcher m = DATE_TIME.matcher(line);
        while (m.find()) {
          checked++;
          assertThat(m.group(1)).as(name).isLessThanOrEqualTo(last);
        }
      }
    }
    assertThat(checked).isPositive();
  }

  private static List<String> ndjson(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return new ArrayList<>(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".ndjson")).sorted().toList());
    }
  }
}
