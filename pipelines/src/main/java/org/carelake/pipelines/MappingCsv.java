package org.carelake.pipelines;

import com.univocity.parsers.csv.CsvParser;
import com.univocity.parsers.csv.CsvParserSettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.carelake.core.CareLakeException;

/**
 * A small mapping file an operator writes by hand (devices.csv, samples.csv): a header naming
 * its columns, then one row per entry. Problems are errors naming the file, line and fix.
 */
public final class MappingCsv {

  /** One data row: its 1-based line number and its cells by lower-case column name (blank = null). */
  public record Line(String where, Map<String, String> cells) {
    public String get(String column) {
      return cells.get(column);
    }
  }

  private MappingCsv() {}

  /**
   * Reads {@code file} ({@code what} names it in errors, e.g. "the device map"); every column in
   * {@code required} must be in the header.
   */
  public static List<Line> read(Path file, String what, List<String> required) {
    if (!Files.isReadable(file)) {
      throw CareLakeException.badInput("Cannot read " + midSentence(what) + " " + file + ": "
              + (Files.exists(file) ? "permission denied" : "no such file") + ".",
          "pass a CSV file with the columns " + String.join(",", required) + ".");
    }
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(reader, file.toString(), what, required);
    } catch (IOException e) {
      throw CareLakeException.badInput("Cannot read " + midSentence(what) + " " + file + ": " + CareLakeException.reason(e) + ".",
          "check the file is UTF-8 CSV.");
    }
  }

  /** "The device map" as it reads inside a sentence. */
  private static String midSentence(String what) {
    return Character.toLowerCase(what.charAt(0)) + what.substring(1);
  }

  /** As {@link #read(Path, String, List)}, from a reader; {@code file} names the source in errors. */
  public static List<Line> read(Reader reader, String file, String what, List<String> required) {
    CsvParserSettings settings = new CsvParserSettings();
    settings.setLineSeparatorDetectionEnabled(true);
    settings.setHeaderExtractionEnabled(false);
    List<String[]> rows;
    try {
      rows = new CsvParser(settings).parseAll(reader);
    } catch (RuntimeException e) {
      throw CareLakeException.badInput("Cannot read " + midSentence(what) + " " + file + ": " + e.getMessage() + ".",
          "check the file is UTF-8 CSV.");
    }
    if (rows.isEmpty()) {
      throw CareLakeException.badInput(what + " " + file + " is empty.", "add the header " + String.join(",", required)
          + " and one row per entry.");
    }
    String[] header = rows.get(0);
    List<String> names = new ArrayList<>();
    for (String h : header) {
      names.add(h == null ? "" : stripBom(h).trim().toLowerCase(Locale.ROOT));
    }
    for (String column : required) {
      if (!names.contains(column)) {
        throw CareLakeException.badInput(what + " " + file + " has no column '" + column + "' (line 1).",
            "its header must name the columns " + String.join(",", required) + ".");
      }
    }
    List<Line> out = new ArrayList<>(rows.size() - 1);
    for (int i = 1; i < rows.size(); i++) {
      String[] row = rows.get(i);
      Map<String, String> cells = new HashMap<>();
      for (int c = 0; c < names.size() && c < row.length; c++) {
        if (row[c] != null && !row[c].isBlank()) {
          cells.put(names.get(c), row[c].trim());
        }
      }
      out.add(new Line(what + " " + file + " line " + (i + 1), cells));
    }
    return out;
  }

  public static String stripBom(String s) {
    return s.startsWith("\uFEFF") ? s.substring(1) : s;
  }
}
