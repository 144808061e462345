package org.carelake.pipelines.genomic;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
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
import org.carelake.core.TableWrite;
import org.carelake.core.schema.GenomicResultSchema;
import org.carelake.core.schema.GenomicSchema;
import org.carelake.pipelines.MappingCsv;

/**
 * Pharmacogenomic markers into {@code gold.pgx_marker}: for every sample and every marker of a
 * configurable list (default: {@code pgx-markers.csv} beside this class, GRCh38 positions checked
 * against PharmCAT's position file), the copies of the marker's ALT allele. Three states, never
 * conflated: {@code tested} (a call: 0, 1 or 2 copies), {@code no_call} (the site is in the
 * sample's data but the call is missing) and {@code not_tested} (the site is not in the sample's
 * data: a single-sample VCF lists only variant sites, so absence cannot be read as reference).
 */
public final class PgxMarkers {

  public static final List<String> COLUMNS = List.of("gene", "allele", "rsid", "chrom", "position", "ref", "alt");

  /** One marker; its name is {@code GENE rsID}, e.g. {@code SLCO1B1 rs4149056}. */
  public record Marker(String gene, String allele, String rsid, String chrom, int position, String ref, String alt) {
    public String name() {
      return gene + " " + rsid;
    }
  }

  private final SparkSession spark;
  private final Lakehouse lakehouse;

  private org.carelake.pipelines.quality.StepChecks checks = org.carelake.pipelines.quality.StepChecks.none();

  /** The quality checks run on the table before the step commits (default: none). */
  public PgxMarkers checks(org.carelake.pipelines.quality.StepChecks checks) {
    this.checks = checks;
    return this;
  }

  public PgxMarkers(SparkSession spark, Lakehouse lakehouse) {
    this.spark = spark;
    this.lakehouse = lakehouse;
  }

  /** The markers in {@code file}, or the default list when {@code file} is null. */
  public static List<Marker> load(Path file) {
    List<MappingCsv.Line> lines;
    if (file == null) {
      try (Reader r = new InputStreamReader(PgxMarkers.class.getResourceAsStream("pgx-markers.csv"), StandardCharsets.UTF_8)) {
        lines = MappingCsv.read(r, "pgx-markers.csv (built in)", "The marker list", COLUMNS);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    } else {
      lines = MappingCsv.read(file, "The marker list", COLUMNS);
    }
    List<Marker> markers = new ArrayList<>();
    for (MappingCsv.Line l : lines) {
      for (String c : COLUMNS) {
        if (l.get(c) == null) {
          throw CareLakeException.badInput(l.where() + " leaves " + c + " empty.", "fill in every column of " + String.join(",", COLUMNS) + ".");
        }
      }
      int position;
      try {
        position = Integer.parseInt(l.get("position"));
      } catch (NumberFormatException e) {
        throw CareLakeException.badInput(l.where() + ": position '" + l.get("position") + "' is not a number.", "give the 1-based position.");
      }
      markers.add(new Marker(l.get("gene"), l.get("allele"), l.get("rsid"), l.get("chrom"), position,
          l.get("ref").toUpperCase(Locale.ROOT), l.get("alt").toUpperCase(Locale.ROOT)));
    }
    return markers;
  }

  /** Per marker name: samples tested, no call, not tested. */
  public record PgxResult(Map<String, long[]> byMarker, TableWrite write) {}

  private static final StructType MARKERS = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField("marker", DataTypes.StringType, false),
      DataTypes.createStructField("m_gene", DataTypes.StringType, false),
      DataTypes.createStructField("m_allele", DataTypes.StringType, false),
      DataTypes.createStructField("m_rsid", DataTypes.StringType, false),
      DataTypes.createStructField("m_chr", DataTypes.StringType, false),
      DataTypes.createStructField("m_pos", DataTypes.IntegerType, false),
      DataTypes.createStructField("m_ref", DataTypes.StringType, false),
      DataTypes.createStructField("m_alt", DataTypes.StringType, false)});

  /** Recomputes {@code gold.pgx_marker} for every sample in {@code silver.genomic_sample}. */
  public PgxResult compute(List<Marker> markers) {
    if (!lakehouse.exists(GenomicSchema.SAMPLE)) {
      throw CareLakeException.badInput("pgx markers need " + GenomicSchema.SAMPLE + ", which does not exist yet.", "run ./carelake ingest vcf first.");
    }
    List<Row> rows = markers.stream().map(m -> RowFactory.create(m.name(), m.gene(), m.allele(), m.rsid(),
        PgsScoreFile.normalizeContig(m.chrom()), m.position(), m.ref(), m.alt())).toList();
    Dataset<Row> markerTable = spark.createDataFrame(rows, MARKERS);
    Dataset<Row> variants = lakehouse.read(spark, GenomicSchema.VARIANT);
    Dataset<Row> sites = variants.join(broadcast(markerTable), PolygenicScores.normalizedContig(col(GenomicSchema.CONTIG)).equalTo(col("m_chr"))
            .and(col(GenomicSchema.POSITION).equalTo(col("m_pos"))).and(col(GenomicSchema.REF).equalTo(col("m_ref")))
            .and(col(GenomicSchema.ALT).equalTo(col("m_alt"))))
        .select(col(GenomicSchema.VARIANT_KEY), col("marker"));
    Dataset<Row> calls = lakehouse.read(spark, GenomicSchema.GENOTYPE).join(broadcast(sites), GenomicSchema.VARIANT_KEY)
        .select(col(GenomicSchema.SAMPLE_KEY).as("c_sample"), col("marker").as("c_marker"), col(GenomicSchema.ALT_DOSAGE).as("copies"),
            lit(true).as("present"));
    Dataset<Row> samples = lakehouse.read(spark, GenomicSchema.SAMPLE);
    Dataset<Row> grid = samples.crossJoin(broadcast(markerTable));
    Dataset<Row> out = grid.join(calls, grid.col(GenomicSchema.SAMPLE_KEY).equalTo(calls.col("c_sample"))
            .and(grid.col("marker").equalTo(calls.col("c_marker"))), "left")
        .select(col(GenomicSchema.PATIENT_KEY).as(GenomicResultSchema.PATIENT_KEY), col("marker").as(GenomicResultSchema.MARKER),
            col("copies").as(GenomicResultSchema.ALT_COPIES),
            when(col("present").isNull(), lit(GenomicResultSchema.NOT_TESTED)).when(col("copies").isNull(), lit(GenomicResultSchema.NO_CALL))
                .otherwise(lit(GenomicResultSchema.TESTED)).as(GenomicResultSchema.STATUS),
            col(GenomicSchema.RESULT_TIME).as(GenomicResultSchema.RESULT_TIME), col(GenomicSchema.SAMPLE_KEY).as(GenomicResultSchema.SAMPLE_KEY),
            col("m_gene").as(GenomicResultSchema.GENE), col("m_allele").as(GenomicResultSchema.ALLELE), col("m_rsid").as(GenomicResultSchema.RSID))
        .localCheckpoint(true);
    Map<String, long[]> byMarker = new TreeMap<>();
    for (Row r : out.groupBy(GenomicResultSchema.MARKER, GenomicResultSchema.STATUS).count().collectAsList()) {
      long[] c = byMarker.computeIfAbsent(r.getString(0), k -> new long[3]);
      int i = switch (r.getString(1)) {
        case GenomicResultSchema.TESTED -> 0;
        case GenomicResultSchema.NO_CALL -> 1;
        default -> 2;
      };
      c[i] = r.getLong(2);
    }
    TableWrite write;
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      write = new DeltaWriter(spark, lakehouse, tx).upsertRows(out, GenomicResultSchema.PGX_MARKER,
          List.of(GenomicResultSchema.SAMPLE_KEY, GenomicResultSchema.MARKER));
      checks.run(spark, lakehouse, tx, "pgx markers", org.carelake.core.Progress.silent());
      tx.commit();
    }
    return new PgxResult(byMarker, write);
  }
}
