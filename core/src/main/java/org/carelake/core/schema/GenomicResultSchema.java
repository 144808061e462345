package org.carelake.core.schema;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.TableId;

/**
 * The genomic gold tables the feature store reads: {@code gold.prs} (one polygenic score per patient
 * and score) and {@code gold.pgx_marker} (one pharmacogenomic marker genotype per patient). Germline
 * results do not change, but they are only known from when the sample was resulted:
 * {@code result_time} is the event time for point-in-time features.
 */
public final class GenomicResultSchema {

  public static final TableId PRS = TableId.gold("prs");
  public static final TableId PGX_MARKER = TableId.gold("pgx_marker");

  public static final String PATIENT_KEY = "patient_key";
  public static final String RESULT_TIME = "result_time";
  public static final String SCORE_ID = "score_id";
  public static final String SCORE = "score";
  public static final String VARIANTS_FOUND = "variants_found";
  public static final String VARIANTS_TOTAL = "variants_total";
  public static final String MARKER = "marker";
  /** Copies of the alternate (risk) allele, 0 to 2; null when not tested. */
  public static final String ALT_COPIES = "alt_copies";
  /** {@code tested}, {@code no_call} or {@code not_tested}: neither is ever read as "reference". */
  public static final String STATUS = "status";
  public static final String TESTED = "tested";
  public static final String NOT_TESTED = "not_tested";
  /** The site was in the sample's data but the call is missing ({@code ./.}): not a reference call either. */
  public static final String NO_CALL = "no_call";
  /** The sample a result comes from (a patient can have several; features take the latest result). */
  public static final String SAMPLE_KEY = "sample_key";
  public static final String GENE = "gene";
  /** The named allele the marker defines, e.g. {@code *2}. */
  public static final String ALLELE = "allele";
  public static final String RSID = "rsid";

  public static final StructType PRS_SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField(PATIENT_KEY, StringType, false),
      DataTypes.createStructField(SCORE_ID, StringType, false),
      DataTypes.createStructField(SCORE, DoubleType, true),
      DataTypes.createStructField(VARIANTS_FOUND, IntegerType, false),
      DataTypes.createStructField(VARIANTS_TOTAL, IntegerType, false),
      DataTypes.createStructField(RESULT_TIME, TimestampType, false),
      DataTypes.createStructField(SAMPLE_KEY, StringType, true)});

  public static final StructType PGX_SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField(PATIENT_KEY, StringType, false),
      DataTypes.createStructField(MARKER, StringType, false),
      DataTypes.createStructField(ALT_COPIES, IntegerType, true),
      DataTypes.createStructField(STATUS, StringType, false),
      DataTypes.createStructField(RESULT_TIME, TimestampType, false),
      DataTypes.createStructField(SAMPLE_KEY, StringType, true),
      DataTypes.createStructField(GENE, StringType, true),
      DataTypes.createStructField(ALLELE, StringType, true),
      DataTypes.createStructField(RSID, StringType, true)});

  private GenomicResultSchema() {}
}
