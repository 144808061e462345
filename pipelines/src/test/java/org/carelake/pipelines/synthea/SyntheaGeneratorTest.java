package org.carelake.pipelines.synthea;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.carelake.core.Progress;
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
  void theSameOptionsGiveByteIdenticalFiles() throws IOException {
    SyntheaOptions options = new SyntheaOptions(8, 7, LocalDate.of(2024, 6, 30), SyntheaOptions.DEFAULT_STATE, Mappers.DEMO_TYPES);
    Path first = new SyntheaGenerator(dir.resolve("a")).generate(options, Progress.silent());
    Path second = new SyntheaGenerator(dir.resolve("b")).generate(options, Progress.silent());
    List<String> names = ndjson(first);
    assertThat(names).isNotEmpty().isEqualTo(ndjson(second));
    for (String name : names) {
      assertThat(Files.mismatch(first.resolve(name), second.resolve(name))).as(name).isEqualTo(-1L);
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
