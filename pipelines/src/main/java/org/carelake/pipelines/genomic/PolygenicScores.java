package org.carelake.pipelines.genomic;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.translate;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.CareLakeException;
import org.carelake.core.DeltaWriter;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.Progress;
import org.carelake.core.TableId;
import org.carelake.core.TableWrite;
import org.carelake.core.schema.GenomicResultSchema;
import org.carelake.core.schema.GenomicSchema;

/**
 * {@code prs --score FILE}: one polygenic score per sample into {@code gold.prs}.
 *
 * <p>Score variants match {@code silver.variant} on chromosome ({@code chr1} = {@code 1}),
 * position and alleles (rsID when the file gives no position). The effect allele may be the ALT
 * (copies = the call's ALT dosage) or the REF (copies = ploidy - ALT dosage), on either strand:
 * alleles are also tried complemented, except for palindromic SNVs (A/T, C/G), whose strand cannot
 * be told from the alleles: those are excluded and counted. A call that is missing contributes
 * nothing and is not counted in {@code variants_found}; nothing is imputed. A sample none of
 * whose calls is found gets a null score, never 0.
 */
public final class PolygenicScores {

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final Progress progress;

  private org.carelake.pipelines.quality.StepChecks checks = org.carelake.pipelines.quality.StepChecks.none();

  /** The quality checks run on the table before the step commits (default: none). */
  public PolygenicScores checks(org.carelake.pipelines.quality.StepChecks checks) {
    this.checks = checks;
    return this;
  }

  public PolygenicScores(SparkSession spark, Lakehouse lakehouse, Progress progress) {
    this.spark = spark;
    this.lakehouse = lakehouse;
    this.progress = progress;
  }

  /** How the score's variants matched, and what was written. */
  public record PrsResult(String scoreId, String genomeBuild, boolean harmonized, int variantsTotal, long complex, long palindromic,
      long matched, long matchedOnOtherStrand, long ambiguous, long alleleMismatch, long notInData, long samples, double meanFound,
      TableWrite write) {

    public boolean reconciles() {
      return variantsTotal == complex + palindromic + matched + ambiguous + alleleMismatch + notInData;
    }
  }

  private static final StructType SCORE_ROWS = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField("idx", DataTypes.IntegerType, false),
      DataTypes.createStructField("s_rsid", DataTypes.StringType, true),
      DataTypes.createStructField("s_chr", DataTypes.StringType, true),
      DataTypes.createStructField("s_pos", DataTypes.IntegerType, true),
      DataTypes.createStructField("ea", DataTypes.StringType, false),
      DataTypes.createStructField("oa", DataTypes.StringType, true),
      DataTypes.createStructField("w0", DataTypes.DoubleType, false),
      DataTypes.createStructField("w1", DataTypes.DoubleType, false),
      DataTypes.createStructField("w2", DataTypes.DoubleType, false)});

  private static final Set<String> PALINDROMES = Set.of("A/T", "T/A", "C/G", "G/C");

  public PrsResult score(PgsScoreFile file) {
    for (TableId t : List.of(GenomicSchema.VARIANT, GenomicSchema.GENOTYPE, GenomicSchema.SAMPLE)) {
      if (!lakehouse.exists(t)) {
        throw CareLakeException.badInput("prs needs " + t + ", which does not exist yet.", "run ./carelake ingest vcf first.");
      }
    }
    long complex = 0;
    long palindromic = 0;
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < file.variants().size(); i++) {
      PgsScoreFile.Variant v = file.variants().get(i);
      if (v.complex()) {
        complex++;
      } else if (v.otherAllele() != null && PALINDROMES.contains(v.effectAllele() + "/" + v.otherAllele())) {
        palindromic++;
      } else {
        rows.add(RowFactory.create(i, v.rsid(), v.chromosome(), v.position(), v.effectAllele(), v.otherAllele(), v.weights()[0],
            v.weights()[1], v.weights()[2]));
      }
    }
    progress.detail(String.format(java.util.Locale.ROOT, "%s: %d variants (%s positions, build %s); %d complex and %d palindromic excluded",
        file.scoreId(), file.variants().size(), file.harmonized() ? "harmonized" : "author-reported", file.genomeBuild(), complex, palindromic));
    Dataset<Row> score = spark.createDataFrame(rows, SCORE_ROWS);
    Dataset<Row> variants = lakehouse.read(spark, GenomicSchema.VARIANT).select(col(GenomicSchema.VARIANT_KEY),
        normalizedContig(col(GenomicSchema.CONTIG)).as("v_chr"), col(GenomicSchema.POSITION).as("v_pos"), col(GenomicSchema.REF).as("ref"),
        col(GenomicSchema.ALT).as("alt"), col(GenomicSchema.RSID).as("v_rsid"));
    Column byPosition = col("s_pos").isNotNull().and(col("s_chr").equalTo(col("v_chr"))).and(col("s_pos").equalTo(col("v_pos")));
    Column byRsid = col("s_pos").isNull().and(col("s_rsid").equalTo(col("v_rsid")));
    Dataset<Row> candidates = score.join(variants, byPosition.or(byRsid));
    Column eaFlip = translate(col("ea"), "ACGT", "TGCA");
    Column oaFlip = translate(col("oa"), "ACGT", "TGCA");
    Column snv = org.apache.spark.sql.functions.length(col("ea")).equalTo(1);
    Column orientation = when(col("ea").equalTo(col("alt")).and(col("oa").isNull().or(col("oa").equalTo(col("ref")))), lit("alt"))
        .when(col("ea").equalTo(col("ref")).and(col("oa").isNull().or(col("oa").equalTo(col("alt")))), lit("ref"))
        .when(snv.and(eaFlip.equalTo(col("alt"))).and(col("oa").isNull().or(oaFlip.equalTo(col("ref")))), lit("alt_flipped"))
        .when(snv.and(eaFlip.equalTo(col("ref"))).and(col("oa").isNull().or(oaFlip.equalTo(col("alt")))), lit("ref_flipped"));
    Dataset<Row> oriented = candidates.withColumn("orientation", orientation).localCheckpoint(true);
    // Per score variant: how many variant rows it matched; more than one is ambiguous.
    Map<Integer, long[]> perVariant = new HashMap<>();
    for (Row r : oriented.groupBy("idx").agg(count(col("orientation")), sum(when(col("orientation").endsWith("flipped"), 1).otherwise(0)))
        .collectAsList()) {
      perVariant.put(r.getInt(0), new long[] {r.getLong(1), r.getLong(2)});
    }
    long matched = 0;
    long flipped = 0;
    long ambiguous = 0;
    long mismatch = 0;
    for (long[] v : perVariant.values()) {
      if (v[0] == 1) {
        matched++;
        flipped += v[1];
      } else if (v[0] > 1) {
        ambiguous++;
      } else {
        mismatch++;
      }
    }
    long notInData = rows.size() - perVariant.size();
    Dataset<Row> matches = oriented.where(col("orientation").isNotNull())
        .join(oriented.where(col("orientation").isNotNull()).groupBy("idx").count().where(col("count").equalTo(1)).select("idx"), "idx")
        .select(col(GenomicSchema.VARIANT_KEY), col("orientation"), col("w0"), col("w1"), col("w2"));
    Dataset<Row> genotypes = lakehouse.read(spark, GenomicSchema.GENOTYPE).select(GenomicSchema.SAMPLE_KEY, GenomicSchema.VARIANT_KEY,
        GenomicSchema.ALT_DOSAGE, GenomicSchema.PLOIDY);
    Column effectCopies = when(col("orientation").startsWith("alt"), col(GenomicSchema.ALT_DOSAGE))
        .otherwise(col(GenomicSchema.PLOIDY).minus(col(GenomicSchema.ALT_DOSAGE)));
    Dataset<Row> contributions = genotypes.join(org.apache.spark.sql.functions.broadcast(matches), GenomicSchema.VARIANT_KEY)
        .select(col(GenomicSchema.SAMPLE_KEY), element_at(array(col("w0"), col("w1"), col("w2")), effectCopies.plus(1)).as("c"));
    Dataset<Row> perSample = contributions.groupBy(GenomicSchema.SAMPLE_KEY).agg(sum("c").as("s"), count("c").as("found"));
    Dataset<Row> samples = lakehouse.read(spark, GenomicSchema.SAMPLE);
    Dataset<Row> out = samples.join(perSample, samples.col(GenomicSchema.SAMPLE_KEY).equalTo(perSample.col(GenomicSchema.SAMPLE_KEY)), "left")
        .select(samples.col(GenomicSchema.PATIENT_KEY).as(GenomicResultSchema.PATIENT_KEY), lit(file.scoreId()).as(GenomicResultSchema.SCORE_ID),
            when(col("found").gt(0), round(col("s"), 10)).as(GenomicResultSchema.SCORE),
            org.apache.spark.sql.functions.coalesce(col("found"), lit(0L)).cast("int").as(GenomicResultSchema.VARIANTS_FOUND),
            lit(file.variants().size()).as(GenomicResultSchema.VARIANTS_TOTAL),
            samples.col(GenomicSchema.RESULT_TIME).as(GenomicResultSchema.RESULT_TIME),
            samples.col(GenomicSchema.SAMPLE_KEY).as(GenomicResultSchema.SAMPLE_KEY))
        .localCheckpoint(true);
    Row stats = out.agg(count(lit(1)), org.apache.spark.sql.functions.avg(GenomicResultSchema.VARIANTS_FOUND)).head();
    TableWrite write;
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      write = new DeltaWriter(spark, lakehouse, tx).upsertRows(out, GenomicResultSchema.PRS,
          List.of(GenomicResultSchema.SAMPLE_KEY, GenomicResultSchema.SCORE_ID));
      checks.run(spark, lakehouse, tx, "prs", org.carelake.core.Progress.silent());
      tx.commit();
    }
    return new PrsResult(file.scoreId(), file.genomeBuild(), file.harmonized(), file.variants().size(), complex, palindromic, matched,
        flipped, ambiguous, mismatch, notInData, stats.getLong(0), stats.isNullAt(1) ? 0 : stats.getDouble(1), write);
  }

  /** {@code chr1} -> {@code 1}, {@code chrM} / {@code M} -> {@code MT}, as {@link PgsScoreFile#normalizeContig}. */
  static Column normalizedContig(Column contig) {
    Column stripped = regexp_replace(contig, "^(chr|CHR)", "");
    return when(stripped.equalTo("M"), lit("MT")).otherwise(stripped);
  }
}
