package org.carelake.pipelines.genomic;

import htsjdk.variant.variantcontext.Allele;
import htsjdk.variant.variantcontext.Genotype;
import htsjdk.variant.variantcontext.GenotypeBuilder;
import htsjdk.variant.variantcontext.VariantContext;
import htsjdk.variant.variantcontext.VariantContextBuilder;
import htsjdk.variant.variantcontext.writer.Options;
import htsjdk.variant.variantcontext.writer.VariantContextWriter;
import htsjdk.variant.variantcontext.writer.VariantContextWriterBuilder;
import htsjdk.variant.vcf.VCFContigHeaderLine;
import htsjdk.variant.vcf.VCFFormatHeaderLine;
import htsjdk.variant.vcf.VCFHeader;
import htsjdk.variant.vcf.VCFHeaderLine;
import htsjdk.variant.vcf.VCFHeaderLineCount;
import htsjdk.variant.vcf.VCFHeaderLineType;
import htsjdk.variant.vcf.VCFInfoHeaderLine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Seeded multi-sample genotyping results, written with htsjdk as a bgzipped VCF 4.2 (GRCh38
 * coordinates), with a {@code samples.csv} and a PGS Catalog format scoring file beside it.
 *
 * <p>Sites: the pharmacogenomic markers of the built-in list at their population allele
 * frequencies; the variants of a synthetic score (allele frequencies 5 to 50%, a few palindromic
 * A/T or C/G SNVs so their exclusion is exercised); background SNVs, indels and multi-allelic
 * sites; chrX sites (haploid calls for male samples) and chrM (haploid). Genotypes follow
 * Hardy-Weinberg proportions; about 1% of calls are missing.
 */
public final class GenomicGenerator {

  /** A person to genotype: the EHR source id (only written to samples.csv) and sex for chrX ploidy. */
  public record Subject(String patientId, boolean female) {}

  /** What was written. */
  public record Output(Path vcf, Path samples, Path score, String scoreId, int sites, int sampleCount, long genotypes) {}

  public static final String SCORE_ID = "CLDEMO_CAD_01";
  static final int SCORE_VARIANTS = 60;

  /** Population ALT allele frequencies of the built-in markers (approximate, mixed ancestry). */
  static final Map<String, Double> MARKER_FREQUENCIES = Map.of("rs4244285", 0.15, "rs4986893", 0.01, "rs12248560", 0.2, "rs1799853", 0.08,
      "rs1057910", 0.06, "rs4149056", 0.15, "rs9923231", 0.39);

  private static final String[] BASES = {"A", "C", "G", "T"};

  private GenomicGenerator() {}

  private record Site(String contig, int position, String id, List<String> alleles, double[] frequencies) {}

  /**
   * Writes {@code cohort.vcf.gz}, {@code samples.csv} and the score file into {@code dir}; the same
   * seed and subjects give the same bytes (so a re-run's ingest skips the unchanged file).
   *
   * @param background background sites besides markers and score variants
   */
  public static Output generate(List<Subject> subjects, LocalDate referenceDate, long seed, int background, Path dir) {
    Random random = new Random(seed);
    List<Site> sites = new ArrayList<>();
    Set<String> used = new HashSet<>();
    for (PgxMarkers.Marker m : PgxMarkers.load(null)) {
      double af = MARKER_FREQUENCIES.getOrDefault(m.rsid(), 0.1);
      sites.add(new Site(m.chrom(), m.position(), m.rsid(), List.of(m.ref(), m.alt()), new double[] {1 - af, af}));
      used.add(m.chrom() + ":" + m.position());
    }
    StringBuilder score = new StringBuilder("###PGS CATALOG SCORING FILE (synthetic, for the CareLake demo)\n#format_version=2.0\n")
        .append("#pgs_id=").append(SCORE_ID).append("\n#pgs_name=synthetic coronary artery disease score\n")
        .append("#trait_reported=Coronary artery disease (synthetic)\n#genome_build=GRCh38\n#variants_number=").append(SCORE_VARIANTS)
        .append("\nrsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n");
    for (int i = 0; i < SCORE_VARIANTS; i++) {
      String contig = "chr" + (1 + random.nextInt(22));
      int position = uniquePosition(random, contig, used);
      int r = random.nextInt(4);
      // every tenth score SNV is palindromic (A/T or C/G), the rest transitions
      String ref = BASES[r];
      String alt = i % 10 == 9 ? complement(ref) : transition(ref);
      double af = 0.05 + 0.45 * random.nextDouble();
      String rsid = "rs" + (900_000_000 + i);
      sites.add(new Site(contig, position, rsid, List.of(ref, alt), new double[] {1 - af, af}));
      boolean effectIsAlt = random.nextInt(4) != 0;
      double weight = Math.round((0.02 + 0.1 * random.nextDouble()) * 1e6) / 1e6 * (random.nextInt(5) == 0 ? -1 : 1);
      score.append(rsid).append('\t').append(contig.substring(3)).append('\t').append(position).append('\t')
          .append(effectIsAlt ? alt : ref).append('\t').append(effectIsAlt ? ref : alt).append('\t').append(weight).append('\n');
    }
    for (int i = 0; i < background; i++) {
      int kind = random.nextInt(100);
      String contig = kind < 3 ? "chrX" : kind < 4 ? "chrM" : "chr" + (1 + random.nextInt(22));
      int position = contig.equals("chrM") ? 1 + random.nextInt(16_000) : uniquePosition(random, contig, used);
      if (contig.equals("chrM") && !used.add(contig + ":" + position)) {
        continue;
      }
      String ref = BASES[random.nextInt(4)];
      List<String> alleles = new ArrayList<>(List.of(ref));
      double af = Math.pow(random.nextDouble(), 2) * 0.5 + 0.001;
      double[] freqs;
      if (kind >= 4 && kind < 9) { // multi-allelic SNV
        alleles.add(transition(ref));
        alleles.add(complement(transition(ref)));
        freqs = new double[] {1 - af - af / 3, af, af / 3};
      } else if (kind >= 9 && kind < 14) { // deletion
        alleles.set(0, ref + BASES[random.nextInt(4)] + BASES[random.nextInt(4)]);
        alleles.add(ref);
        freqs = new double[] {1 - af, af};
      } else {
        alleles.add(transition(ref));
        freqs = new double[] {1 - af, af};
      }
      sites.add(new Site(contig, position, null, alleles, freqs));
    }
    sites.sort(Comparator.comparingInt((Site s) -> contigOrder(s.contig())).thenComparingInt(Site::position));
    try {
      Files.createDirectories(dir);
      Path vcf = dir.resolve("cohort.vcf.gz");
      Path samplesFile = dir.resolve("samples.csv");
      Path scoreFile = dir.resolve(SCORE_ID + ".txt");
      List<String> sampleNames = new ArrayList<>();
      StringBuilder manifest = new StringBuilder("sample_id,patient_id,result_date\n");
      for (int s = 0; s < subjects.size(); s++) {
        String name = String.format(Locale.ROOT, "CL%06d", s + 1);
        sampleNames.add(name);
        LocalDate resulted = referenceDate.minusDays(30 + random.nextInt(3 * 365));
        manifest.append(name).append(',').append(subjects.get(s).patientId()).append(',').append(resulted).append('\n');
      }
      long genotypes = write(vcf, sites, subjects, sampleNames, random);
      Files.writeString(samplesFile, manifest.toString(), StandardCharsets.UTF_8);
      Files.writeString(scoreFile, score.toString(), StandardCharsets.UTF_8);
      return new Output(vcf, samplesFile, scoreFile, SCORE_ID, sites.size(), subjects.size(), genotypes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long write(Path vcf, List<Site> sites, List<Subject> subjects, List<String> names, Random random) {
    Set<VCFHeaderLine> lines = new LinkedHashSet<>();
    lines.add(new VCFHeaderLine("source", "CareLake GenomicGenerator (synthetic)"));
    lines.add(new VCFHeaderLine("reference", "GRCh38"));
    for (String contig : new java.util.TreeSet<>(sites.stream().map(Site::contig).toList())) {
      lines.add(new VCFContigHeaderLine(Map.of("ID", contig), contigOrder(contig)));
    }
    lines.add(new VCFInfoHeaderLine("AF", VCFHeaderLineCount.A, VCFHeaderLineType.Float, "Population ALT allele frequency used to simulate"));
    lines.add(new VCFInfoHeaderLine("NS", 1, VCFHeaderLineType.Integer, "Samples with a call"));
    lines.add(new VCFFormatHeaderLine("GT", 1, VCFHeaderLineType.String, "Genotype"));
    lines.add(new VCFFormatHeaderLine("DP", 1, VCFHeaderLineType.Integer, "Read depth"));
    lines.add(new VCFFormatHeaderLine("GQ", 1, VCFHeaderLineType.Integer, "Genotype quality"));
    VCFHeader header = new VCFHeader(lines, names);
    long genotypes = 0;
    try (VariantContextWriter writer = new VariantContextWriterBuilder().setOutputPath(vcf)
        .setOutputFileType(VariantContextWriterBuilder.OutputType.BLOCK_COMPRESSED_VCF).unsetOption(Options.INDEX_ON_THE_FLY)
        .setOption(Options.ALLOW_MISSING_FIELDS_IN_HEADER).build()) {
      writer.writeHeader(header);
      for (Site site : sites) {
        List<Allele> alleles = new ArrayList<>();
        for (int i = 0; i < site.alleles().size(); i++) {
          alleles.add(Allele.create(site.alleles().get(i), i == 0));
        }
        List<Genotype> calls = new ArrayList<>(subjects.size());
        int called = 0;
        for (int s = 0; s < subjects.size(); s++) {
          boolean haploid = site.contig().equals("chrM") || (site.contig().equals("chrX") && !subjects.get(s).female());
          int ploidy = haploid ? 1 : 2;
          List<Allele> gt = new ArrayList<>(ploidy);
          boolean missing = random.nextInt(100) == 0;
          for (int p = 0; p < ploidy; p++) {
            gt.add(missing ? Allele.NO_CALL : alleles.get(draw(site.frequencies(), random)));
          }
          GenotypeBuilder g = new GenotypeBuilder(names.get(s), gt);
          if (!missing) {
            called++;
            g.DP(10 + random.nextInt(40)).GQ(20 + random.nextInt(79));
          }
          calls.add(g.make());
        }
        genotypes += calls.size() * (long) (alleles.size() - 1);
        List<Double> af = new ArrayList<>();
        for (int i = 1; i < site.frequencies().length; i++) {
          af.add(Math.round(site.frequencies()[i] * 1e4) / 1e4);
        }
        VariantContext vc = new VariantContextBuilder("generator", site.contig(), site.position(),
            site.position() + site.alleles().get(0).length() - 1, alleles).id(site.id() == null ? "." : site.id()).passFilters()
            .log10PError(-5).attribute("AF", af.size() == 1 ? af.get(0) : af).attribute("NS", called).genotypes(calls).make();
        writer.add(vc);
      }
    }
    return genotypes;
  }

  private static int draw(double[] frequencies, Random random) {
    double u = random.nextDouble();
    double acc = 0;
    for (int i = 0; i < frequencies.length; i++) {
      acc += frequencies[i];
      if (u < acc) {
        return i;
      }
    }
    return 0;
  }

  private static int uniquePosition(Random random, String contig, Set<String> used) {
    while (true) {
      int position = 1_000_000 + random.nextInt(100_000_000);
      if (used.add(contig + ":" + position)) {
        return position;
      }
    }
  }

  static int contigOrder(String contig) {
    String c = contig.replace("chr", "");
    return switch (c) {
      case "X" -> 23;
      case "Y" -> 24;
      case "M", "MT" -> 25;
      default -> Integer.parseInt(c);
    };
  }

  private static String transition(String base) {
    return switch (base) {
      case "A" -> "G";
      case "G" -> "A";
      case "C" -> "T";
      default -> "C";
    };
  }

  private static String complement(String base) {
    return switch (base) {
      case "A" -> "T";
      case "T" -> "A";
      case "C" -> "G";
      default -> "C";
    };
  }
}
