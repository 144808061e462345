package org.carelake.pipelines.wearable;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.carelake.core.Progress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WearableGeneratorTest {

  @TempDir Path dir;

  private static final LocalDate LAST = LocalDate.of(2024, 12, 31);

  private static List<WearableGenerator.Subject> subjects() {
    List<WearableGenerator.Subject> out = new java.util.ArrayList<>();
    for (int i = 0; i < 12; i++) {
      boolean old = i % 2 == 1;
      out.add(new WearableGenerator.Subject("p" + i, old ? LocalDate.of(1945, 3, 1) : LocalDate.of(1995, 3, 1), i % 3 == 0, old, old));
    }
    return out;
  }

  @Test
  void sameSubjectsAndSeedGiveIdenticalFiles() throws IOException {
    Path a = WearableGenerator.generate(subjects(), LAST, 7, 42, "America/New_York", dir.resolve("a"), Progress.silent());
    Path b = WearableGenerator.generate(subjects(), LAST, 7, 42, "America/New_York", dir.resolve("b"), Progress.silent());
    Path c = WearableGenerator.generate(subjects(), LAST, 7, 43, "America/New_York", dir.resolve("c"), Progress.silent());
    for (String f : List.of("devices.csv", "exports/heartrate_minutes.csv", "exports/minuteStepsNarrow_merged.csv",
        "exports/sleepDay_merged.csv", "exports/body_weight.json")) {
      assertThat(Files.mismatch(a.resolve(f), b.resolve(f))).as(f).isEqualTo(-1L);
    }
    assertThat(Files.mismatch(a.resolve("exports/heartrate_minutes.csv"), c.resolve("exports/heartrate_minutes.csv"))).isNotEqualTo(-1L);
    assertThat(Files.readAllLines(a.resolve("devices.csv"))).hasSize(13).first().isEqualTo("device_id,patient_id,time_zone");
  }

  @Test
  void olderHypertensivePeopleWalkLessAndHaveHigherHeartRatesAndDevicesComeOff() throws IOException {
    Path out = WearableGenerator.generate(subjects(), LAST, 14, 7, "America/New_York", dir.resolve("g"), Progress.silent());
    Map<String, String> deviceToPatient = new HashMap<>();
    Files.readAllLines(out.resolve("devices.csv")).stream().skip(1).forEach(l -> deviceToPatient.put(l.split(",")[0], l.split(",")[1]));
    double[] steps = new double[2];
    double[] hr = new double[2];
    long[] hrN = new long[2];
    try (Stream<String> lines = Files.lines(out.resolve("exports/minuteStepsNarrow_merged.csv"))) {
      lines.skip(1).forEach(l -> {
        String[] c = l.split(",");
        steps[group(deviceToPatient.get(c[0]))] += Double.parseDouble(c[2]);
      });
    }
    Map<String, Integer> hrMinutesPerDevice = new HashMap<>();
    try (Stream<String> lines = Files.lines(out.resolve("exports/heartrate_minutes.csv"))) {
      lines.skip(1).forEach(l -> {
        String[] c = l.split(",");
        int g = group(deviceToPatient.get(c[0]));
        hr[g] += Double.parseDouble(c[3]);
        hrN[g]++;
        hrMinutesPerDevice.merge(c[0], 1, Integer::sum);
      });
    }
    assertThat(steps[1]).isLessThan(steps[0] * 0.8);
    assertThat(hr[1] / hrN[1]).isGreaterThan(hr[0] / hrN[0] + 3);
    // no device is worn every minute of every day
    assertThat(hrMinutesPerDevice.values()).allMatch(n -> n < 14 * 1440);
  }

  /** 0: young, 1: old with hypertension and diabetes (odd patient numbers). */
  private static int group(String patient) {
    return Integer.parseInt(patient.substring(1)) % 2;
  }
}
