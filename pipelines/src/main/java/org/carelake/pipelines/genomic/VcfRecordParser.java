package org.carelake.pipelines.genomic;

import htsjdk.tribble.TribbleException;
import htsjdk.tribble.readers.LineIteratorImpl;
import htsjdk.tribble.readers.SynchronousLineReader;
import htsjdk.variant.variantcontext.Allele;
import htsjdk.variant.variantcontext.Genotype;
import htsjdk.variant.variantcontext.GenotypesContext;
import htsjdk.variant.variantcontext.VariantContext;
import htsjdk.variant.vcf.VCFCodec;
import htsjdk.variant.vcf.VCFContigHeaderLine;
import htsjdk.variant.vcf.VCFHeader;
import htsjdk.variant.vcf.VCFHeaderLineCount;
import htsjdk.variant.vcf.VCFHeaderLineType;
import htsjdk.variant.vcf.VCFInfoHeaderLine;
import java.io.Serializable;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayBasedMapData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.carelake.core.CareLakeException;
import org.carelake.core.schema.GenomicSchema;

/**
 * Turns one VCF data line into rows, with htsjdk's {@link VCFCodec} doing the parsing: a line
 * becomes one variant row per ALT allele (each with every sample's call), or a quarantine reason.
 * INFO values are typed from the file's header; keys the header does not declare are kept as
 * strings and reported, as are contigs it does not declare.
 */
final class VcfRecordParser implements Serializable {

  private static final long serialVersionUID = 1L;
  private static final int MAX_RAW = 10_000;

  /** Why a record went to the quarantine. */
  enum Reason {
    MALFORMED_RECORD, SAMPLE_COLUMNS, INFO_TYPE, INVALID_ALLELE
  }

  static final StructType VARIANT_STRUCT;
  static final StructType PARSED;

  static {
    List<StructField> fields = new ArrayList<>();
    for (StructField f : GenomicSchema.VARIANT_SCHEMA.fields()) {
      if (!f.name().equals(GenomicSchema.SOURCE_FILE) && !f.name().equals(GenomicSchema.SOURCE_POSITION)
          && !f.name().equals(GenomicSchema.INGEST_RUN_ID)) {
        fields.add(f);
      }
    }
    fields.add(DataTypes.createStructField(GenomicSchema.CALLS, DataTypes.createArrayType(GenomicSchema.CALL_SCHEMA, false), false));
    VARIANT_STRUCT = DataTypes.createStructType(fields);
    PARSED = DataTypes.createStructType(new StructField[] {
        DataTypes.createStructField("file_index", DataTypes.IntegerType, false),
        DataTypes.createStructField(GenomicSchema.SOURCE_POSITION, DataTypes.LongType, false),
        DataTypes.createStructField(GenomicSchema.LINE_NUMBER, DataTypes.LongType, true),
        DataTypes.createStructField(GenomicSchema.REASON_CODE, DataTypes.StringType, true),
        DataTypes.createStructField(GenomicSchema.REASON, DataTypes.StringType, true),
        DataTypes.createStructField(GenomicSchema.RAW, DataTypes.StringType, true),
        DataTypes.createStructField("variants", DataTypes.createArrayType(VARIANT_STRUCT, false), false),
        DataTypes.createStructField("warnings", DataTypes.createArrayType(DataTypes.StringType, false), false)});
  }

  private final List<VcfFile> files;
  /** The reference FASTA indels are left-aligned against; null: trimming only. */
  private final String referencePath;
  private transient Map<Integer, FileCodec> codecs;
  private transient ReferenceGenome reference;

  VcfRecordParser(List<VcfFile> files, java.nio.file.Path reference) {
    this.files = files;
    this.referencePath = reference == null ? null : reference.toAbsolutePath().toString();
  }

  /** The task's reader of the reference FASTA, opened on first use and closed when the task ends. */
  private ReferenceGenome reference() {
    if (reference == null && referencePath != null) {
      reference = ReferenceGenome.open(java.nio.file.Path.of(referencePath));
      org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
      if (task != null) {
        ReferenceGenome opened = reference;
        task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) context -> opened.close());
      }
    }
    return reference;
  }

  /** The header as htsjdk reads it; a header htsjdk rejects fails here, naming the file. */
  static FileCodec codec(VcfFile file) {
    VCFCodec codec = new VCFCodec();
    VCFHeader header;
    try {
      header = (VCFHeader) codec.readActualHeader(new LineIteratorImpl(new SynchronousLineReader(
          new StringReader(String.join("\n", file.headerLines()) + "\n"))));
    } catch (TribbleException | IllegalArgumentException | IllegalStateException e) {
      throw CareLakeException.badInput(file.displayName() + ": the VCF header is not valid: " + cleanMessage(e) + ".",
          "fix the header line named (VCF 4.1 to 4.3 are read); the records were not read.");
    }
    Set<String> contigs = new HashSet<>();
    for (VCFContigHeaderLine c : header.getContigLines()) {
      contigs.add(c.getID());
    }
    int columns = file.headerLines().get(file.headerLines().size() - 1).split("\t", -1).length;
    return new FileCodec(codec, header, contigs, columns);
  }

  record FileCodec(VCFCodec codec, VCFHeader header, Set<String> contigs, int columns) {}

  /**
   * One record as Spark's own row (strings as UTF-8, arrays and maps as Spark's array and map data),
   * so the parse feeds Spark without a per-call conversion from external rows.
   */
  InternalRow parse(int fileIndex, VcfSplitReader.Line line) {
    if (codecs == null) {
      codecs = new HashMap<>();
    }
    FileCodec fc = codecs.computeIfAbsent(fileIndex, i -> codec(files.get(i)));
    Long lineNumber = line.lineNumber() < 0 ? null : line.lineNumber();
    int columns = count(line.text(), '\t') + 1;
    if (columns != fc.columns() && columns > 8) {
      return rejected(fileIndex, line, lineNumber, Reason.SAMPLE_COLUMNS, "the record has " + Math.max(0, columns - 9)
          + " sample columns; the #CHROM header line names " + Math.max(0, fc.columns() - 9));
    }
    List<String> warnings = new ArrayList<>(0);
    try {
      VariantContext vc = fc.codec().decode(line.text());
      if (vc == null) {
        return rejected(fileIndex, line, lineNumber, Reason.MALFORMED_RECORD, "not a VCF record");
      }
      if (!fc.contigs().isEmpty() && !fc.contigs().contains(vc.getContig())) {
        warnings.add("contig not declared in the header: " + vc.getContig());
      }
      ArrayData variants = array(variants(vc, fc, reference(), warnings));
      return row(fileIndex, line.position(), lineNumber, null, null, null, variants, strings(warnings));
    } catch (InfoTypeException e) {
      return rejected(fileIndex, line, lineNumber, Reason.INFO_TYPE, e.getMessage());
    } catch (RuntimeException | AssertionError e) { // htsjdk reports bad records with unchecked exceptions (and asserts)
      Reason reason = e.getMessage() != null && e.getMessage().toLowerCase(Locale.ROOT).contains("allele") ? Reason.INVALID_ALLELE
          : Reason.MALFORMED_RECORD;
      return rejected(fileIndex, line, lineNumber, reason, cleanMessage(e));
    }
  }

  private InternalRow rejected(int fileIndex, VcfSplitReader.Line line, Long lineNumber, Reason reason, String why) {
    return row(fileIndex, line.position(), lineNumber, utf8(reason.name()), utf8(why), utf8(VcfFile.abbreviate(line.text(), MAX_RAW)),
        array(List.of()), array(List.of()));
  }

  private static List<InternalRow> variants(VariantContext vc, FileCodec fc, ReferenceGenome reference, List<String> warnings) {
    List<Allele> alleles = vc.getAlleles();
    int altCount = alleles.size() - 1;
    String ref = vc.getReference().getDisplayString();
    String originalAlts = altCount == 0 ? "." : String.join(",", vc.getAlternateAlleles().stream().map(Allele::getDisplayString).toList());
    String rsid = vc.hasID() ? vc.getID() : null;
    Double qual = vc.hasLog10PError() ? vc.getPhredScaledQual() : null;
    List<String> filters = vc.filtersWereApplied() ? (vc.isNotFiltered() ? List.of("PASS") : new ArrayList<>(new TreeSet<>(vc.getFilters())))
        : null;
    GenotypesContext genotypes = vc.getGenotypes();
    int samples = genotypes.size();
    // Allele indices of every call, once per site (shared by the split rows).
    Integer[][] calls = new Integer[samples][];
    for (int s = 0; s < samples; s++) {
      Genotype g = genotypes.get(s);
      List<Allele> called = g.getAlleles();
      Integer[] idx = new Integer[called.size()];
      for (int a = 0; a < idx.length; a++) {
        Allele allele = called.get(a);
        idx[a] = allele.isNoCall() ? null : indexOf(alleles, allele);
      }
      calls[s] = idx;
    }
    // Left-alignment needs the record's contig in the FASTA and its REF matching the FASTA there.
    String fastaContig = reference == null ? null : reference.contig(vc.getContig());
    if (reference != null && fastaContig == null) {
      warnings.add("contig not in the reference FASTA, indels not left-aligned: " + vc.getContig());
    } else if (fastaContig != null && !reference.matches(fastaContig, vc.getStart(), ref)) {
      warnings.add("REF differs from the reference FASTA (another genome build?), indels not left-aligned");
      fastaContig = null;
    }
    List<InternalRow> rows = new ArrayList<>(Math.max(1, altCount));
    UTF8String contig = utf8(vc.getContig());
    UTF8String originalAltsUtf8 = utf8(originalAlts);
    UTF8String rsidUtf8 = utf8(rsid);
    ArrayData filtersData = filters == null ? null : strings(filters);
    // Allele indices of every call as Spark arrays, once per site (shared by the split rows).
    ArrayData[] calledData = new ArrayData[samples];
    for (int s = 0; s < samples; s++) {
      calledData[s] = new GenericArrayData(calls[s]);
    }
    for (int k = altCount == 0 ? 0 : 1; k <= altCount; k++) {
      String alt = k == 0 ? "." : alleles.get(k).getDisplayString();
      String[] norm = trim(ref, alt, vc.getStart());
      if (fastaContig != null && !unchangeable(alt)) {
        norm = reference.leftAlign(fastaContig, norm[0], norm[1], Integer.parseInt(norm[2]));
      }
      int position = Integer.parseInt(norm[2]);
      Info info = info(vc, fc, altCount, k, warnings);
      Object[] sampleCalls = new Object[samples];
      for (int s = 0; s < samples; s++) {
        Genotype g = genotypes.get(s);
        Integer[] idx = calls[s];
        Integer dosage = dosage(idx, k);
        int[] ad = g.hasAD() ? g.getAD() : null;
        ArrayData adPair = ad != null && ad.length > k ? new GenericArrayData(new Object[] {ad[0], ad[k]}) : null;
        sampleCalls[s] = row(s, calledData[s], g.isPhased(), idx.length, dosage, g.hasDP() ? g.getDP() : null,
            g.hasGQ() ? g.getGQ() : null, adPair);
      }
      rows.add(row(utf8(vc.getContig() + ":" + position + ":" + norm[0] + ":" + norm[1]), contig, position, utf8(norm[0]),
          utf8(norm[1]), k, originalAltsUtf8, vc.getStart(), rsidUtf8, qual, filtersData, map(info.ints, false), map(info.floats, false),
          map(info.strings, true), strings(info.flags), new GenericArrayData(sampleCalls)));
    }
    return rows;
  }

  private static InternalRow row(Object... values) {
    return new GenericInternalRow(values);
  }

  private static UTF8String utf8(String s) {
    return s == null ? null : UTF8String.fromString(s);
  }

  private static ArrayData array(List<?> values) {
    return new GenericArrayData(values.toArray());
  }

  private static ArrayData strings(List<String> values) {
    Object[] out = new Object[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = utf8(values.get(i));
    }
    return new GenericArrayData(out);
  }

  /** A map of INFO keys to their values as Spark map data (values: numbers as they are, strings as UTF-8). */
  private static <T> ArrayBasedMapData map(Map<String, List<T>> m, boolean stringValues) {
    Object[] keys = new Object[m.size()];
    Object[] values = new Object[m.size()];
    int i = 0;
    for (Map.Entry<String, List<T>> e : m.entrySet()) {
      keys[i] = utf8(e.getKey());
      @SuppressWarnings("unchecked")
      ArrayData v = stringValues ? strings((List<String>) e.getValue()) : array(e.getValue());
      values[i++] = v;
    }
    return new ArrayBasedMapData(new GenericArrayData(keys), new GenericArrayData(values));
  }

  private static int indexOf(List<Allele> alleles, Allele allele) {
    for (int i = 0; i < alleles.size(); i++) {
      if (alleles.get(i) == allele) {
        return i;
      }
    }
    int i = alleles.indexOf(allele);
    if (i < 0) {
      throw new IllegalArgumentException("a genotype names allele " + allele.getDisplayString() + ", which the record does not list");
    }
    return i;
  }

  /** Copies of allele {@code k}; null when an allele is missing. For a site with no ALT, 0 when called. */
  static Integer dosage(Integer[] alleles, int k) {
    int n = 0;
    for (Integer a : alleles) {
      if (a == null) {
        return null;
      }
      if (k > 0 && a == k) {
        n++;
      }
    }
    return alleles.length == 0 ? null : n;
  }

  /**
   * Trims bases REF and ALT share at the end, then at the start (keeping one base each), moving the
   * position past trimmed leading bases: the part of left-normalization that needs no reference
   * sequence. Symbolic, breakend and spanning-deletion alleles are left as written.
   */
  static String[] trim(String ref, String alt, int position) {
    if (unchangeable(alt) || ref.equals(alt)) {
      return new String[] {ref, alt, Integer.toString(position)};
    }
    int r = ref.length();
    int a = alt.length();
    while (r > 1 && a > 1 && Character.toUpperCase(ref.charAt(r - 1)) == Character.toUpperCase(alt.charAt(a - 1))) {
      r--;
      a--;
    }
    int start = 0;
    while (r - start > 1 && a - start > 1 && Character.toUpperCase(ref.charAt(start)) == Character.toUpperCase(alt.charAt(start))) {
      start++;
    }
    return new String[] {ref.substring(start, r), alt.substring(start, a), Integer.toString(position + start)};
  }

  /** No ALT (.), a spanning deletion (*), a symbolic or breakend allele: written as it is, never trimmed or moved. */
  private static boolean unchangeable(String alt) {
    return alt.equals(".") || alt.equals("*") || alt.startsWith("<") || alt.contains("[") || alt.contains("]");
  }

  private static final class Info {
    final Map<String, List<Long>> ints = new LinkedHashMap<>();
    final Map<String, List<Double>> floats = new LinkedHashMap<>();
    final Map<String, List<String>> strings = new LinkedHashMap<>();
    final List<String> flags = new ArrayList<>();
  }

  private static Info info(VariantContext vc, FileCodec fc, int altCount, int k, List<String> warnings) {
    Info info = new Info();
    for (Map.Entry<String, Object> e : vc.getAttributes().entrySet()) {
      String key = e.getKey();
      List<String> values = values(e.getValue());
      VCFInfoHeaderLine declared = fc.header().getInfoHeaderLine(key);
      if (declared == null) {
        if (!warnings.contains("INFO key not declared in the header: " + key)) {
          warnings.add("INFO key not declared in the header: " + key);
        }
        info.strings.put(key, values);
        continue;
      }
      if (declared.getType() == VCFHeaderLineType.Flag) {
        info.flags.add(key);
        continue;
      }
      values = subset(values, declared, altCount, k, key, warnings);
      switch (declared.getType()) {
        case Integer -> {
          List<Long> out = new ArrayList<>(values.size());
          for (String v : values) {
            out.add(v == null ? null : parseLong(v, key));
          }
          info.ints.put(key, out);
        }
        case Float -> {
          List<Double> out = new ArrayList<>(values.size());
          for (String v : values) {
            out.add(v == null ? null : parseDouble(v, key));
          }
          info.floats.put(key, out);
        }
        default -> info.strings.put(key, values);
      }
    }
    return info;
  }

  private static List<String> values(Object raw) {
    List<String> out = new ArrayList<>();
    if (raw instanceof List<?> list) {
      for (Object o : list) {
        out.add(missing(o));
      }
    } else if (raw != null && raw.getClass().isArray()) {
      for (Object o : (Object[]) raw) {
        out.add(missing(o));
      }
    } else {
      String s = missing(raw);
      if (s != null && s.indexOf(',') >= 0) {
        for (String part : s.split(",", -1)) {
          out.add(missing(part));
        }
      } else {
        out.add(s);
      }
    }
    return out;
  }

  private static String missing(Object o) {
    if (o == null) {
      return null;
    }
    String s = o.toString();
    return s.equals(".") ? null : s;
  }

  /** The values that belong to ALT allele {@code k} for Number=A, R and G; the whole list otherwise. */
  private static List<String> subset(List<String> values, VCFInfoHeaderLine declared, int altCount, int k, String key,
      List<String> warnings) {
    VCFHeaderLineCount count = declared.getCountType();
    if (altCount <= 1 || k == 0) {
      return values;
    }
    int expected;
    List<String> out;
    switch (count) {
      case A -> {
        expected = altCount;
        out = values.size() == expected ? java.util.Collections.singletonList(values.get(k - 1)) : null;
      }
      case R -> {
        expected = altCount + 1;
        out = values.size() == expected ? Arrays.asList(values.get(0), values.get(k)) : null;
      }
      case G -> {
        expected = (altCount + 1) * (altCount + 2) / 2;
        int het = k * (k + 1) / 2;
        out = values.size() == expected ? Arrays.asList(values.get(0), values.get(het), values.get(het + k)) : null;
      }
      default -> {
        return values;
      }
    }
    if (out == null) {
      String w = "INFO " + key + " has a value count that does not match Number=" + count + " (kept whole)";
      if (!warnings.contains(w)) {
        warnings.add(w);
      }
      return values;
    }
    return out;
  }

  /** VCF Integers are 32-bit; the eight lowest values are reserved (missing, end of vector). */
  private static long parseLong(String v, String key) {
    long value;
    try {
      value = Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new InfoTypeException("INFO " + key + " value '" + VcfFile.abbreviate(v, 20) + "' is not an Integer as the header declares");
    }
    if (value > Integer.MAX_VALUE || value < Integer.MIN_VALUE + 8) {
      throw new InfoTypeException("INFO " + key + " value " + value + " is outside the VCF Integer range (-2147483640 to 2147483647)");
    }
    return value;
  }

  private static double parseDouble(String v, String key) {
    String s = v.trim().toLowerCase(Locale.ROOT);
    switch (s) {
      case "nan":
        return Double.NaN;
      case "inf", "+inf", "infinity", "+infinity":
        return Double.POSITIVE_INFINITY;
      case "-inf", "-infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        try {
          return Double.parseDouble(s);
        } catch (NumberFormatException e) {
          throw new InfoTypeException("INFO " + key + " value '" + VcfFile.abbreviate(v, 20) + "' is not a Float as the header declares");
        }
    }
  }

  private static int count(String s, char c) {
    int n = 0;
    for (int i = s.indexOf(c); i >= 0; i = s.indexOf(c, i + 1)) {
      n++;
    }
    return n;
  }

  /** htsjdk's message without its own (task-local, so wrong) line number or the whole record. */
  static String cleanMessage(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    m = m.replaceAll("(?s)The provided VCF file is malformed at approximately line number \\d+: ", "")
        .replaceAll("Line \\d+: ", "")
        .replaceAll("(?s), for input source: .*", "");
    int tab = m.indexOf('\t');
    if (tab >= 0) {
      m = m.substring(0, tab) + "...";
    }
    return VcfFile.abbreviate(m.strip(), 300);
  }

  private static final class InfoTypeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InfoTypeException(String message) {
      super(message);
    }
  }
}
