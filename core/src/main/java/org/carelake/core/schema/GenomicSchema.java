package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import java.util.List;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.TableId;

/**
 * The genomic silver tables written by {@code ingest vcf}.
 *
 * <ul>
 *   <li>{@code silver.variant}: one row per biallelic variant (multi-allelic sites split, the
 *       original ALT index kept), keyed by {@code variant_key = contig:position:ref:alt} after
 *       trimming; INFO typed from the file's header into four maps (integers, floats, strings,
 *       flags), every value a list so Number=1, A, R, G and . share one shape
 *       ({@code info_int['DP'][0]}).
 *   <li>{@code silver.genotype}: one call per sample and variant row, keyed by sample and variant.
 *       Allele indices refer to the original site (so a 1/2 call reads the same on both split
 *       rows); missing alleles are nulls, never zeros; ploidy is kept (haploid chrX/Y/M calls).
 *   <li>{@code silver.genomic_sample}: each sample's patient, source file and result time (when
 *       the result was known, the event time for point-in-time features).
 * </ul>
 * Sample ids from the lab are pseudonymized like patient ids: silver holds {@code sample_key}.
 */
public final class GenomicSchema {

  public static final TableId VARIANT = TableId.silver("variant");
  public static final TableId GENOTYPE = TableId.silver("genotype");
  public static final TableId SAMPLE = TableId.silver("genomic_sample");
  public static final TableId QUARANTINE = TableId.bronze("vcf_quarantine");

  public static final String VARIANT_KEY = "variant_key";
  public static final String CONTIG = "contig";
  public static final String POSITION = "position";
  public static final String REF = "ref";
  public static final String ALT = "alt";
  /** Index of {@link #ALT} among the original site's ALT alleles (1-based, as in GT). */
  public static final String ALLELE_INDEX = "allele_index";
  /** The site's ALT alleles as written, comma separated. */
  public static final String ORIGINAL_ALTS = "original_alts";
  public static final String ORIGINAL_POSITION = "original_position";
  public static final String RSID = "rsid";
  public static final String QUAL = "qual";
  public static final String FILTERS = "filters";
  public static final String INFO_INT = "info_int";
  public static final String INFO_FLOAT = "info_float";
  public static final String INFO_STRING = "info_string";
  public static final String INFO_FLAG = "info_flag";

  public static final String PATIENT_KEY = "patient_key";
  public static final String SAMPLE_KEY = "sample_key";
  public static final String ALLELES = "alleles";
  public static final String PHASED = "phased";
  public static final String PLOIDY = "ploidy";
  /** Copies of this row's ALT allele; null when any allele of the call is missing. */
  public static final String ALT_DOSAGE = "alt_dosage";
  public static final String DP = "dp";
  public static final String GQ = "gq";
  /** Allele depths of REF and this row's ALT. */
  public static final String AD = "ad";

  public static final String RESULT_TIME = "result_time";
  public static final String SOURCE_FILE = "source_file";
  public static final String SOURCE_POSITION = "source_position";
  public static final String POSITION_KIND = "source_position_kind";
  public static final String LINE_NUMBER = "line_number";
  public static final String REASON_CODE = "reason_code";
  public static final String REASON = "reason";
  public static final String RAW = "raw";
  public static final String CALLS = "calls";
  public static final String MISSING_CALLS = "missing_calls";
  public static final String INGEST_RUN_ID = "ingest_run_id";

  public static final List<String> VARIANT_CONTENT = List.of(CONTIG, POSITION, REF, ALT, ALLELE_INDEX, ORIGINAL_ALTS,
      ORIGINAL_POSITION, RSID, QUAL, FILTERS, INFO_INT, INFO_FLOAT, INFO_STRING, INFO_FLAG);

  /** The genotype columns reads filter on (a patient, a sample, a variant, a position): the only ones with data-skipping statistics. */
  public static final List<String> GENOTYPE_STATS_COLUMNS = List.of(PATIENT_KEY, SAMPLE_KEY, VARIANT_KEY, POSITION);

  private static final ArrayType INTS = DataTypes.createArrayType(IntegerType, true);

  public static final StructType VARIANT_SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField(VARIANT_KEY, StringType, false),
      DataTypes.createStructField(CONTIG, StringType, false),
      DataTypes.createStructField(POSITION, IntegerType, false),
      DataTypes.createStructField(REF, StringType, false),
      DataTypes.createStructField(ALT, StringType, false),
      DataTypes.createStructField(ALLELE_INDEX, IntegerType, false),
      DataTypes.createStructField(ORIGINAL_ALTS, StringType, false),
      DataTypes.createStructField(ORIGINAL_POSITION, IntegerType, false),
      DataTypes.createStructField(RSID, StringType, true),
      DataTypes.createStructField(QUAL, DoubleType, true),
      DataTypes.createStructField(FILTERS, DataTypes.createArrayType(StringType, false), true),
      DataTypes.createStructField(INFO_INT, map(DataTypes.createArrayType(LongType, true)), true),
      DataTypes.createStructField(INFO_FLOAT, map(DataTypes.createArrayType(DoubleType, true)), true),
      DataTypes.createStructField(INFO_STRING, map(DataTypes.createArrayType(StringType, true)), true),
      DataTypes.createStructField(INFO_FLAG, DataTypes.createArrayType(StringType, false), true),
      DataTypes.createStructField(SOURCE_FILE, StringType, false),
      DataTypes.createStructField(SOURCE_POSITION, LongType, false),
      DataTypes.createStructField(INGEST_RUN_ID, StringType, false)});

  /** What a call says, in silver.genotype and in the parser's rows alike. */
  private static final StructField[] CALL_FIELDS = {
      DataTypes.createStructField(ALLELES, INTS, false),
      DataTypes.createStructField(PHASED, BooleanType, false),
      DataTypes.createStructField(PLOIDY, IntegerType, false),
      DataTypes.createStructField(ALT_DOSAGE, IntegerType, true),
      DataTypes.createStructField(DP, IntegerType, true),
      DataTypes.createStructField(GQ, IntegerType, true),
      DataTypes.createStructField(AD, INTS, true)};

  /** A call as parsed, before the sample is linked to a patient. */
  public static final StructType CALL_SCHEMA = struct(
      new StructField[] {DataTypes.createStructField("sample_index", IntegerType, false)}, CALL_FIELDS, new StructField[0]);

  public static final StructType GENOTYPE_SCHEMA = struct(new StructField[] {
      DataTypes.createStructField(PATIENT_KEY, StringType, false),
      DataTypes.createStructField(SAMPLE_KEY, StringType, false),
      DataTypes.createStructField(VARIANT_KEY, StringType, false),
      DataTypes.createStructField(CONTIG, StringType, false),
      DataTypes.createStructField(POSITION, IntegerType, false),
      DataTypes.createStructField(ALLELE_INDEX, IntegerType, false)}, CALL_FIELDS, new StructField[] {
      DataTypes.createStructField(SOURCE_FILE, StringType, false),
      DataTypes.createStructField(INGEST_RUN_ID, StringType, false)});

  public static final StructType SAMPLE_SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField(SAMPLE_KEY, StringType, false),
      DataTypes.createStructField(PATIENT_KEY, StringType, false),
      DataTypes.createStructField(SOURCE_FILE, StringType, false),
      DataTypes.createStructField(RESULT_TIME, TimestampType, false),
      DataTypes.createStructField(INGEST_RUN_ID, StringType, false)});

  public static final StructType QUARANTINE_SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField(SOURCE_FILE, StringType, false),
      DataTypes.createStructField(SOURCE_POSITION, LongType, false),
      DataTypes.createStructField(POSITION_KIND, StringType, false),
      DataTypes.createStructField(LINE_NUMBER, LongType, true),
      DataTypes.createStructField(REASON_CODE, StringType, false),
      DataTypes.createStructField(REASON, StringType, false),
      DataTypes.createStructField(RAW, StringType, false),
      DataTypes.createStructField(INGEST_RUN_ID, StringType, false)});

  private static StructType struct(StructField[] before, StructField[] middle, StructField[] after) {
    List<StructField> all = new java.util.ArrayList<>(List.of(before));
    all.addAll(List.of(middle));
    all.addAll(List.of(after));
    return DataTypes.createStructType(all);
  }

  private static MapType map(org.apache.spark.sql.types.DataType value) {
    return DataTypes.createMapType(StringType, value, true);
  }

  private GenomicSchema() {}
}
