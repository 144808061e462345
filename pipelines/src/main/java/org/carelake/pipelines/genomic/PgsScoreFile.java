package org.carelake.pipelines.genomic;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.carelake.core.CareLakeException;

/**
 * A PGS Catalog scoring file (format 1 or 2, plain or gzip): the {@code #key=value} header block,
 * then a tab-separated table. Positions come from the harmonized columns ({@code hm_chr},
 * {@code hm_pos}) when the file has them, else from {@code chr_name} / {@code chr_position}; a row
 * with neither is matched by rsID. Weights are {@code effect_weight} (additive, or dominant /
 * recessive when {@code is_dominant} / {@code is_recessive} say so) or genotype weights
 * {@code dosage_0_weight..dosage_2_weight}. Rows that are haplotypes, diplotypes, interactions or
 * alleles other than bases (HLA alleles, APOE haplotypes) are complex: kept in the total, not
 * scored.
 */
public record PgsScoreFile(String scoreId, String genomeBuild, boolean harmonized, List<Variant> variants) {

  private static final Pattern BASES = Pattern.compile("[ACGTacgt]+");

  /**
   * One scoring row. {@code weights} are the contributions of 0, 1 and 2 copies of the effect
   * allele; {@code complex} rows are counted, never matched.
   */
  public record Variant(int line, String rsid, String chromosome, Integer position, String effectAllele, String otherAllele,
      double[] weights, boolean complex) {}

  public static PgsScoreFile read(Path file) {
    String name = file.getFileName().toString();
    Map<String, String> meta = new HashMap<>();
    List<Variant> variants = new ArrayList<>();
    try (InputStream raw = Files.newInputStream(file);
        InputStream in = name.toLowerCase(Locale.ROOT).endsWith(".gz") ? new GZIPInputStream(raw) : raw;
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      Map<String, Integer> columns = null;
      int lineNumber = 0;
      for (String line; (line = reader.readLine()) != null; ) {
        lineNumber++;
        if (line.startsWith("#")) {
          int eq = line.indexOf('=');
          if (eq > 1 && !line.startsWith("##")) {
            meta.put(line.substring(1, eq).trim(), line.substring(eq + 1).trim());
          }
          continue;
        }
        if (line.isBlank()) {
          continue;
        }
        String[] cells = line.split("\t", -1);
        if (columns == null) {
          columns = new LinkedHashMap<>();
          for (int i = 0; i < cells.length; i++) {
            columns.put(cells[i].trim(), i);
          }
          boolean weighted = columns.containsKey("effect_weight") || columns.containsKey("dosage_1_weight");
          if (!columns.containsKey("effect_allele") || !weighted) {
            throw CareLakeException.badInput(name + " line " + lineNumber + " is not a PGS Catalog scoring table header: it needs the"
                + " columns effect_allele and effect_weight (or dosage_0_weight..dosage_2_weight).", "pass a scoring file downloaded"
                + " from the PGS Catalog (https://www.pgscatalog.org/downloads/), plain or .gz.");
          }
          continue;
        }
        variants.add(variant(cells, columns, name, lineNumber));
      }
      if (columns == null) {
        throw CareLakeException.badInput(name + " has no scoring table (only # header lines or nothing).", "pass a complete PGS scoring file.");
      }
      boolean harmonized = columns.containsKey("hm_pos");
      String scoreId = meta.getOrDefault("pgs_id", name.replaceAll("(_hmPOS_.*)?\\.txt(\\.gz)?$", ""));
      String build = harmonized ? meta.getOrDefault("HmPOS_build", "unknown") : meta.getOrDefault("genome_build", "unknown");
      return new PgsScoreFile(scoreId, build, harmonized, variants);
    } catch (IOException e) {
      throw CareLakeException.badInput("Cannot read the scoring file " + file + ": " + CareLakeException.reason(e) + ".",
          "check the file exists and, if it ends in .gz, that it is complete.");
    }
  }

  private static Variant variant(String[] cells, Map<String, Integer> columns, String name, int line) {
    String effect = cell(cells, columns, "effect_allele");
    String other = cell(cells, columns, "other_allele");
    if (other == null) {
      String inferred = cell(cells, columns, "hm_inferOtherAllele");
      other = inferred != null && !inferred.contains("/") ? inferred : null;
    }
    boolean harmonized = columns.containsKey("hm_pos");
    String chr = cell(cells, columns, harmonized ? "hm_chr" : "chr_name");
    String pos = cell(cells, columns, harmonized ? "hm_pos" : "chr_position");
    String rsid = cell(cells, columns, harmonized && cell(cells, columns, "hm_rsID") != null ? "hm_rsID" : "rsID");
    Integer position = null;
    if (pos != null) {
      try {
        position = Integer.parseInt(pos);
      } catch (NumberFormatException e) {
        throw CareLakeException.badInput(name + " line " + line + ": position '" + VcfFile.abbreviate(pos, 20) + "' is not a number.",
            "fix or remove the row.");
      }
    }
    double[] weights;
    if (columns.containsKey("dosage_1_weight")) {
      weights = new double[] {number(cells, columns, "dosage_0_weight", name, line), number(cells, columns, "dosage_1_weight", name, line),
          number(cells, columns, "dosage_2_weight", name, line)};
    } else {
      double w = number(cells, columns, "effect_weight", name, line);
      if (flag(cells, columns, "is_dominant")) {
        weights = new double[] {0, w, w};
      } else if (flag(cells, columns, "is_recessive")) {
        weights = new double[] {0, 0, w};
      } else {
        weights = new double[] {0, w, 2 * w};
      }
    }
    boolean complex = effect == null || !BASES.matcher(effect).matches() || (other != null && !BASES.matcher(other).matches())
        || flag(cells, columns, "is_haplotype") || flag(cells, columns, "is_diplotype") || flag(cells, columns, "is_interaction")
        || (position == null && rsid == null);
    return new Variant(line, rsid, chr == null ? null : normalizeContig(chr), position,
        effect == null ? null : effect.toUpperCase(Locale.ROOT), other == null ? null : other.toUpperCase(Locale.ROOT), weights, complex);
  }

  /** {@code chr1} and {@code 1} name the same chromosome; {@code MT} and {@code chrM} too. */
  public static String normalizeContig(String contig) {
    String c = contig.startsWith("chr") || contig.startsWith("CHR") ? contig.substring(3) : contig;
    return c.equals("M") ? "MT" : c;
  }

  private static String cell(String[] cells, Map<String, Integer> columns, String column) {
    Integer i = columns.get(column);
    if (i == null || i >= cells.length) {
      return null;
    }
    String v = cells[i].trim();
    return v.isEmpty() || v.equals("NA") ? null : v;
  }

  private static boolean flag(String[] cells, Map<String, Integer> columns, String column) {
    String v = cell(cells, columns, column);
    return v != null && v.equalsIgnoreCase("true");
  }

  private static double number(String[] cells, Map<String, Integer> columns, String column, String name, int line) {
    String v = cell(cells, columns, column);
    if (v == null) {
      throw CareLakeException.badInput(name + " line " + line + ": " + column + " is empty.", "every scoring row needs a weight.");
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw CareLakeException.badInput(name + " line " + line + ": " + column + " '" + VcfFile.abbreviate(v, 20) + "' is not a number.",
          "fix or remove the row.");
    }
  }
}
