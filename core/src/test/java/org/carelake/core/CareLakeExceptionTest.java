package org.carelake.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CareLakeExceptionTest {

  @Test
  void fileErrorsAreSaidInWordsNotByRepeatingThePath(@TempDir Path dir) {
    IOException missing = catchThrowableOfType(() -> Files.readString(dir.resolve("absent.yaml")), IOException.class);
    assertThat(missing.getMessage()).as("the JDK's own message is only the path").endsWith("absent.yaml");
    assertThat(CareLakeException.reason(missing)).isEqualTo("no such file");

    IOException directory = catchThrowableOfType(() -> Files.readString(dir), IOException.class);
    assertThat(CareLakeException.reason(directory)).isEqualToIgnoringCase("is a directory");

    assertThat(CareLakeException.reason(new IOException("Unexpected end of ZLIB input stream\nmore detail")))
        .isEqualTo("Unexpected end of ZLIB input stream");

    IOException yaml = catchThrowableOfType(() -> new com.fasterxml.jackson.databind.ObjectMapper(
        new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readValue("x".repeat(500), java.util.Map.class), IOException.class);
    assertThat(CareLakeException.reason(yaml)).as("Jackson's message without its location, the quoted value cut short")
        .hasSize(CareLakeException.REASON_CHARS + 3).endsWith("...").doesNotContain("[Source");
  }

  @Test
  void aProblemOfSeveralLinesGetsItsFixOnALineOfItsOwn() {
    assertThat(CareLakeException.badInput("Bad thing.", "do this.").getMessage()).isEqualTo("Bad thing. Fix: do this.");
    assertThat(CareLakeException.badInput("Syntax error\n^^^", "do this.").getMessage()).isEqualTo("Syntax error\n^^^\nFix: do this.");
  }
}
