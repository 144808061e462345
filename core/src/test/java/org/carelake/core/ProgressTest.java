package org.carelake.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {

  @Test
  void countsTakeTheSingularOnlyForOne() {
    assertThat(Progress.count(0, "file")).isEqualTo("0 files");
    assertThat(Progress.count(1, "file")).isEqualTo("1 file");
    assertThat(Progress.count(11, "file")).isEqualTo("11 files");
  }

  @Test
  void stepsAreNumberedAndDetailsIndentedWithTheElapsedTime() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Progress progress = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), 2);
    progress.step("read");
    progress.detail("skipping " + Progress.count(1, "file"));
    progress.step("write");
    assertThat(bytes.toString(StandardCharsets.UTF_8).lines()).containsExactly(
        "  0:00 [1/2] read", "  0:00       skipping 1 file", "  0:00 [2/2] write");
  }
}
