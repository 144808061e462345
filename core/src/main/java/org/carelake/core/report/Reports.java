package org.carelake.core.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes a report as an HTML file for people and a JSON file with the same content for machines. */
public final class Reports {

  public static final ObjectMapper JSON = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private Reports() {}

  /** The written pair. */
  public record Written(Path html, Path json) {}

  /** Writes {@code <dir>/<name>.html} and {@code .json} atomically (temp file, then move). */
  public static Written write(Path dir, String name, String html, Object json) {
    try {
      Files.createDirectories(dir);
      Path htmlFile = dir.resolve(name + ".html");
      Path jsonFile = dir.resolve(name + ".json");
      atomicWrite(htmlFile, html);
      atomicWrite(jsonFile, JSON.writeValueAsString(json) + "\n");
      return new Written(htmlFile, jsonFile);
    } catch (IOException e) {
      throw new UncheckedIOException("could not write report " + name + " to " + dir, e);
    }
  }

  private static void atomicWrite(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
