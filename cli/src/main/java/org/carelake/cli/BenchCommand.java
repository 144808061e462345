package org.carelake.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.io.MoreFiles;
import org.carelake.core.Pseudonymizer;
import org.carelake.pipelines.fhir.FhirIngestJob;
import org.carelake.pipelines.fhir.FhirIngestResult;
import org.carelake.pipelines.fhir.internal.Mappers;
import org.carelake.pipelines.synthea.SyntheaGenerator;
import org.carelake.pipelines.synthea.SyntheaOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bench <what>}: measured speed against a plain peer in the same run. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks against plain Spark peers, same run, same data.",
    subcommands = {BenchCommand.Fhir.class, BenchCommand.Pit.class, BenchCommand.Wearables.class, BenchCommand.Vcf.class,
        BenchCommand.Quality.class})
public final class BenchCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The machine line of a report: cores, heap, garbage collector, Java, Spark master (the peer runs in the same JVM). */
  static String machine(String master) {
    String gc = String.join(" + ", java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
        .map(java.lang.management.GarbageCollectorMXBean::getName).toList());
    return String.format(Locale.ROOT, "%d cores, JVM max heap %d MB, garbage collectors %s, Java %s, `--master %s`",
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, gc, System.getProperty("java.version"),
        master);
  }

  @Command(name = "fhir", mixinStandardHelpOptions = true,
      description = {"FHIR Bulk NDJSON to bronze+silver Delta (CareLake) vs spark.read.json with a schema written to Parquet (peer).",
          "Both read the same seeded Synthea files; each path runs --repeat times, alternating, best time reported."})
  static final class Fhir implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec CommandSpec spec;

    @Option(names = "--patients", defaultValue = "300", description = "Population size (default: ${DEFAULT-VALUE}).")
    int patients;

    @Option(names = "--seed", defaultValue = "7", description = "Synthea seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin BenchOptions bench;

    @Override
    public Integer call() throws IOException {
      CliContext context = new CliContext(global);
      Progress progress = new Progress(context.progressStream(), 0);
      SyntheaOptions population = new SyntheaOptions(patients, seed, LocalDate.of(2025, 1, 1), SyntheaOptions.DEFAULT_STATE,
          Mappers.DEMO_TYPES);
      progress.step("bench fhir: population of " + patients + " (seed " + seed + ")");
      Path data = new SyntheaGenerator(context.lakehouse().rawDir()).generate(population, progress);
      List<Path> files;
      try (Stream<Path> s = Files.list(data)) {
        files = s.filter(p -> p.toString().endsWith(".ndjson")).sorted().toList();
      }
      long bytes = 0;
      for (Path f : files) {
        bytes += Files.size(f);
      }
      SparkSession spark = context.spark();
      // The peer gets each file's schema for free (inferred before timing), as the issue asks.
      Map<Path, StructType> schemas = new LinkedHashMap<>();
      for (Path f : files) {
        schemas.put(f, spark.read().json(f.toString()).schema());
      }
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      Pseudonymizer keys = new Pseudonymizer(key);
      Path scratch = Files.createTempDirectory("carelake-bench-");
      long bestPlain = Long.MAX_VALUE;
      long bestCareLake = Long.MAX_VALUE;
      long resources = 0;
      try {
        for (int run = 0; run < bench.repeat; run++) {
          long t0 = System.nanoTime();
          for (Path f : files) {
            spark.read().schema(schemas.get(f)).json(f.toString()).write().mode("overwrite")
                .parquet(scratch.resolve("plain-" + run).resolve(f.getFileName().toString()).toString());
          }
          long plain = System.nanoTime() - t0;
          progress.detail(String.format(Locale.ROOT, "run %d: plain JSON->Parquet %.1f s", run + 1, plain / 1e9));
          long t1 = System.nanoTime();
          FhirIngestResult result = new FhirIngestJob(spark, new Lakehouse(scratch.resolve("lake-" + run)), keys, Progress.silent())
              .execute(FhirIngestJob.plan(data));
          long careLake = System.nanoTime() - t1;
          progress.detail(String.format(Locale.ROOT, "run %d: CareLake bronze+silver %.1f s", run + 1, careLake / 1e9));
          resources = result.read();
          bestPlain = Math.min(bestPlain, plain);
          bestCareLake = Math.min(bestCareLake, careLake);
        }
      } finally {
        MoreFiles.deleteRecursively(scratch);
      }
      String block = markdown(files.size(), bytes, resources, bestPlain, bestCareLake);
      spec.commandLine().getOut().println(block);
      spec.commandLine().getOut().flush();
      updateReport(bench.report, "fhir", block);
      return 0;
    }

    private String markdown(int files, long bytes, long resources, long plainNanos, long careLakeNanos) {
      double mb = bytes / 1e6;
      double plain = plainNanos / 1e9;
      double care = careLakeNanos / 1e9;
      return String.format(Locale.ROOT, """
          ## FHIR ingest (`./carelake bench fhir --patients %d --seed %d --repeat %d`)

          Machine: %s. Input: %d Synthea Bulk NDJSON files, %.1f MB, \
          %,d resources. Best of %d runs per path, alternating.

          | path | time (s) | resources/s | MB/s |
          | --- | ---: | ---: | ---: |
          | peer: `spark.read.schema(s).json` -> Parquet | %.1f | %,.0f | %.1f |
          | CareLake: HAPI R4 parse -> bronze + quarantine + silver Delta tables (new: created from the parse's files; existing: MERGE) | %.1f | %,.0f | %.1f |

          Ratio CareLake / peer: **%.2fx** (target: at most 1.3x).
          """, patients, seed, bench.repeat, machine(global.master), files, mb, resources, bench.repeat, plain, resources / plain, mb / plain,
          care, resources / care, mb / care, care / plain);
    }
  }

  @Command(name = "pit", mixinStandardHelpOptions = true,
      description = {"Point-in-time join (CareLake feature store, LAST value in a 365-day window) of timestamped events with",
          "(patient, index date) rows, vs a plain equi-join on patient_key of the same data (peer). Generated data is written to",
          "Parquet first; every path reads it from there and runs to Spark's no-op sink; best of --repeat runs, alternating."})
  static final class Pit implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec CommandSpec spec;

    @Option(names = "--events", defaultValue = "10000000", description = "Timestamped events (default: ${DEFAULT-VALUE}).")
    long events;

    @Option(names = "--entities", defaultValue = "100000", description = "(patient, index date) rows (default: ${DEFAULT-VALUE}).")
    long entities;

    @Mixin BenchOptions bench;

    @Override
    public Integer call() throws IOException {
      CliContext context = new CliContext(global);
      Progress progress = new Progress(context.progressStream(), 0);
      SparkSession spark = context.spark();
      Path scratch = Files.createTempDirectory("carelake-bench-pit-");
      try {
        progress.step("bench pit: generating " + events + " events for " + entities + " patients");
        // Ten years of events per patient; one index date per patient, somewhere in those ten years.
        spark.range(events).selectExpr("concat('p', cast(id % " + entities + " as string)) AS patient_key",
                "timestamp_seconds(1420070400 + pmod(xxhash64(id, 1), 315360000)) AS event_time",
                "cast(pmod(xxhash64(id, 2), 10000) as double) / 100 AS value")
            .write().parquet(scratch.resolve("events").toString());
        spark.range(entities).selectExpr("concat('p', cast(id as string)) AS patient_key",
                "timestamp_seconds(1420070400 + pmod(xxhash64(id, 3), 315360000)) AS as_of")
            .write().parquet(scratch.resolve("entities").toString());
        org.carelake.features.FeatureDefinition feature = org.carelake.features.FeatureDefinition.of("last_value", 1,
            "bench", org.carelake.core.TableId.silver("events"), "event_time", null, "value",
            org.carelake.features.Aggregation.LAST, 365);
        Map<String, Long> best = new LinkedHashMap<>();
        long joinedRows = 0;
        for (int run = 0; run < bench.repeat; run++) {
          var ev = spark.read().parquet(scratch.resolve("events").toString());
          var en = spark.read().parquet(scratch.resolve("entities").toString());
          long t0 = System.nanoTime();
          en.join(ev, "patient_key").write().format("noop").mode("overwrite").save();
          record(best, "join", t0, progress, run);
          long t1 = System.nanoTime();
          en.join(ev, "patient_key").groupBy("patient_key", "as_of")
              .agg(org.apache.spark.sql.functions.max_by(org.apache.spark.sql.functions.col("value"),
                  org.apache.spark.sql.functions.col("event_time")).as("last_value"))
              .write().format("noop").mode("overwrite").save();
          record(best, "join+agg", t1, progress, run);
          long t2 = System.nanoTime();
          org.carelake.features.PointInTimeJoin.aggregate(en, ev, feature).write().format("noop").mode("overwrite").save();
          record(best, "pit", t2, progress, run);
          if (run == 0) {
            joinedRows = org.carelake.features.PointInTimeJoin.aggregate(en, ev, feature).count();
          }
        }
        String block = String.format(Locale.ROOT, """
            ## Point-in-time join (`./carelake bench pit --events %d --entities %d --repeat %d`)

            Machine: %s, %s shuffle partitions. Data: %,d events (patient_key, event_time, value) over ten years and %,d (patient_key, as_of) rows, generated and written to Parquet before timing; every path reads the Parquet and runs to Spark's no-op sink. Best of %d runs, alternating.

            | path | time (s) | events/s |
            | --- | ---: | ---: |
            | peer: plain equi-join on patient_key (every event x entity row) | %.1f | %,.0f |
            | plain equi-join + latest value per (patient, as_of), no time window (for context) | %.1f | %,.0f |
            | CareLake: point-in-time LAST in a 365-day window before as_of | %.1f | %,.0f |

            %,d of %,d entity rows have a value in their window. Ratio CareLake / peer: **%.2fx** (target: at most 2x).
            """, events, entities, bench.repeat, machine(global.master), spark.conf().get("spark.sql.shuffle.partitions"), events, entities, bench.repeat,
            best.get("join") / 1e9, events / (best.get("join") / 1e9), best.get("join+agg") / 1e9, events / (best.get("join+agg") / 1e9),
            best.get("pit") / 1e9, events / (best.get("pit") / 1e9), joinedRows, entities, (double) best.get("pit") / best.get("join"));
        spec.commandLine().getOut().println(block);
        spec.commandLine().getOut().flush();
        updateReport(bench.report, "pit", block);
        return 0;
      } finally {
        MoreFiles.deleteRecursively(scratch);
      }
    }

    private static void record(Map<String, Long> best, String path, long start, Progress progress, int run) {
      long took = System.nanoTime() - start;
      best.merge(path, took, Math::min);
      progress.detail(String.format(Locale.ROOT, "run %d: %s %.1f s", run + 1, path, took / 1e9));
    }
  }

  @Command(name = "wearables", mixinStandardHelpOptions = true,
      description = {"Wearable ingest of second-level heart rate and minute steps (Fitabase CSV layouts, US local times) into",
          "silver.wearable_measurement + gold.wearable_daily (CareLake), vs a plain Spark CSV read with the same timestamp",
          "conversion, the rows written to Parquet and a groupBy-day aggregation written to Parquet (peer); then the rebuild",
          "of gold.wearable_daily from silver vs the same groupBy from the peer's Parquet. Best of --repeat runs, alternating."})
  static final class Wearables implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec CommandSpec spec;

    @Option(names = "--devices", defaultValue = "20", description = "Devices (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--days", defaultValue = "14", description = "Days per device (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--hr-seconds", defaultValue = "5", description = "Seconds between heart-rate samples (default: ${DEFAULT-VALUE}).")
    int hrSeconds;

    @Mixin BenchOptions bench;

    private static final String ZONE = "America/Chicago";

    @Override
    public Integer call() throws IOException {
      CliContext context = new CliContext(global);
      Progress progress = new Progress(context.progressStream(), 0);
      SparkSession spark = context.spark();
      Path scratch = Files.createTempDirectory("carelake-bench-wearables-");
      try {
        progress.step("bench wearables: generating " + devices + " devices x " + days + " days");
        Path in = Files.createDirectories(scratch.resolve("in"));
        long rows = writeInputs(in);
        long bytes = Files.size(in.resolve("heartrate_seconds_merged.csv")) + Files.size(in.resolve("minuteStepsNarrow_merged.csv"));
        Path devicesFile = scratch.resolve("devices.csv");
        StringBuilder map = new StringBuilder("device_id,patient_id,time_zone\n");
        for (int d = 0; d < devices; d++) {
          map.append(4_000_000_001L + d).append(",bench-").append(d).append(',').append(ZONE).append('\n');
        }
        Files.writeString(devicesFile, map);
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Pseudonymizer keys = new Pseudonymizer(key);
        Map<String, Long> best = new LinkedHashMap<>();
        long measurements = 0;
        long patientDays = 0;
        for (int run = 0; run < bench.repeat; run++) {
          Path peer = scratch.resolve("peer-" + run);
          long t0 = System.nanoTime();
          plainIngest(spark, in, peer);
          Pit.record(best, "peer ingest", t0, progress, run);
          long t1 = System.nanoTime();
          Lakehouse lake = new Lakehouse(scratch.resolve("lake-" + run));
          var job = new org.carelake.pipelines.wearable.WearableIngestJob(spark, lake, keys, Progress.silent());
          var result = job.execute(org.carelake.pipelines.wearable.WearableIngestJob.plan(in), devicesFile, null, false);
          Pit.record(best, "carelake ingest", t1, progress, run);
          measurements = result.measurements();
          patientDays = result.daysUpdated();
          long t2 = System.nanoTime();
          plainDaily(spark, spark.read().parquet(peer.resolve("measurements").toString())).write().mode("overwrite")
              .parquet(peer.resolve("daily-rebuild").toString());
          Pit.record(best, "peer rebuild", t2, progress, run);
          MoreFiles.deleteRecursively(lake.tablePath(org.carelake.core.schema.WearableDailySchema.TABLE));
          long t3 = System.nanoTime();
          job.rebuildDaily();
          Pit.record(best, "carelake rebuild", t3, progress, run);
        }
        double peerIngest = best.get("peer ingest") / 1e9;
        double careIngest = best.get("carelake ingest") / 1e9;
        double peerRebuild = best.get("peer rebuild") / 1e9;
        double careRebuild = best.get("carelake rebuild") / 1e9;
        String block = String.format(Locale.ROOT, """
            ## Wearable ingest (`./carelake bench wearables --devices %d --days %d --hr-seconds %d --repeat %d`)

            Machine: %s, %s shuffle partitions. Input: Fitabase-layout `heartrate_seconds_merged.csv` (a sample every %d s) and `minuteStepsNarrow_merged.csv`, %,d rows, %.1f MB, US local times in %s. Best of %d runs per path, alternating.

            | path | time (s) | measurements/s |
            | --- | ---: | ---: |
            | peer: `spark.read.csv` (schema given), local time -> UTC, rows -> Parquet, groupBy day -> Parquet | %.1f | %,.0f |
            | CareLake: parse + check + de-duplicate -> silver Delta, quarantine, gold.wearable_daily, manifest | %.1f | %,.0f |
            | peer: rebuild the daily table from its Parquet rows | %.1f | |
            | CareLake: rebuild gold.wearable_daily from silver | %.1f | |

            %,d measurements, %,d patient-days. Ratio CareLake / peer: ingest **%.2fx**, daily rebuild **%.2fx** (target: within 1.5x).
            """, devices, days, hrSeconds, bench.repeat, machine(global.master),
            spark.conf().get("spark.sql.shuffle.partitions"), hrSeconds, rows, bytes / 1e6, ZONE, bench.repeat, peerIngest,
            rows / peerIngest, careIngest, measurements / careIngest, peerRebuild, careRebuild, measurements, patientDays,
            careIngest / peerIngest, careRebuild / peerRebuild);
        spec.commandLine().getOut().println(block);
        spec.commandLine().getOut().flush();
        updateReport(bench.report, "wearables", block);
        return 0;
      } finally {
        MoreFiles.deleteRecursively(scratch);
      }
    }

    /** Heart rate every few seconds and steps every minute, all day, for each device; returns the data rows written. */
    private long writeInputs(Path in) throws IOException {
      java.time.format.DateTimeFormatter us = java.time.format.DateTimeFormatter.ofPattern("M/d/yyyy h:mm:ss a", Locale.US);
      java.util.Random rnd = new java.util.Random(11);
      long rows = 0;
      LocalDate first = LocalDate.of(2016, 4, 12);
      try (var hr = Files.newBufferedWriter(in.resolve("heartrate_seconds_merged.csv"));
          var steps = Files.newBufferedWriter(in.resolve("minuteStepsNarrow_merged.csv"))) {
        hr.write("Id,Time,Value\r\n");
        steps.write("Id,ActivityMinute,Steps\r\n");
        for (int d = 0; d < devices; d++) {
          String id = String.valueOf(4_000_000_001L + d);
          for (int day = 0; day < days; day++) {
            java.time.LocalDateTime start = first.plusDays(day).atStartOfDay();
            for (int s = 0; s < 86_400; s += hrSeconds) {
              hr.write(id + "," + start.plusSeconds(s).format(us) + "," + (55 + rnd.nextInt(60)) + "\r\n");
              rows++;
            }
            for (int m = 0; m < 1440; m++) {
              steps.write(id + "," + start.plusMinutes(m).format(us) + "," + (rnd.nextInt(10) < 2 ? 60 + rnd.nextInt(60) : 0) + "\r\n");
              rows++;
            }
          }
        }
      }
      return rows;
    }

    private static void plainIngest(SparkSession spark, Path in, Path out) {
      var hr = spark.read().option("header", "true").schema("Id STRING, Time STRING, Value DOUBLE")
          .csv(in.resolve("heartrate_seconds_merged.csv").toString())
          .selectExpr("Id AS device", "to_utc_timestamp(to_timestamp(Time, 'M/d/yyyy h:mm:ss a'), '" + ZONE + "') AS t",
              "to_date(to_timestamp(Time, 'M/d/yyyy h:mm:ss a')) AS day", "'heart_rate' AS metric", "Value AS value");
      var st = spark.read().option("header", "true").schema("Id STRING, ActivityMinute STRING, Steps DOUBLE")
          .csv(in.resolve("minuteStepsNarrow_merged.csv").toString())
          .selectExpr("Id AS device", "to_utc_timestamp(to_timestamp(ActivityMinute, 'M/d/yyyy h:mm:ss a'), '" + ZONE + "') AS t",
              "to_date(to_timestamp(ActivityMinute, 'M/d/yyyy h:mm:ss a')) AS day", "'steps' AS metric", "Steps AS value");
      hr.unionByName(st).write().mode("overwrite").parquet(out.resolve("measurements").toString());
      plainDaily(spark, spark.read().parquet(out.resolve("measurements").toString())).write().mode("overwrite")
          .parquet(out.resolve("daily").toString());
    }

    private static org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> plainDaily(SparkSession spark,
        org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> m) {
      return m.groupBy("device", "day").agg(
          org.apache.spark.sql.functions.expr("sum(CASE WHEN metric = 'steps' THEN value END)").as("steps"),
          org.apache.spark.sql.functions.expr("avg(CASE WHEN metric = 'heart_rate' THEN value END)").as("mean_heart_rate"),
          org.apache.spark.sql.functions.expr("max(CASE WHEN metric = 'heart_rate' THEN value END)").as("max_heart_rate"),
          org.apache.spark.sql.functions.expr("count(DISTINCT CASE WHEN metric = 'heart_rate' THEN date_trunc('minute', t) END) / 1440")
              .as("coverage"));
    }
  }

  @Command(name = "vcf", mixinStandardHelpOptions = true,
      description = {"VCF to Delta (ingest vcf: silver.variant, silver.genotype, silver.genomic_sample) on a seeded multi-sample",
          "bgzip VCF, vs bcftools view decoding the same file single-threaded (Debian's bcftools; skipped when not installed)",
          "and a plain single-threaded htsjdk decode loop (every genotype's alleles read). Genotypes/s per core; best of",
          "--repeat runs, alternating."})
  static final class Vcf implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec CommandSpec spec;

    @Option(names = "--samples", defaultValue = "500", description = "Samples (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--sites", defaultValue = "20000", description = "Sites (default: ${DEFAULT-VALUE}).")
    int sites;

    @Mixin BenchOptions bench;

    @Override
    public Integer call() throws IOException, InterruptedException {
      CliContext context = new CliContext(global);
      Progress progress = new Progress(context.progressStream(), 0);
      SparkSession spark = context.spark();
      Path scratch = Files.createTempDirectory("carelake-bench-vcf-");
      try {
        progress.step("bench vcf: writing " + samples + " samples x " + sites + " sites with htsjdk");
        List<org.carelake.pipelines.genomic.GenomicGenerator.Subject> subjects = new java.util.ArrayList<>();
        for (int i = 0; i < samples; i++) {
          subjects.add(new org.carelake.pipelines.genomic.GenomicGenerator.Subject("bench-" + i, i % 2 == 0));
        }
        var generated = org.carelake.pipelines.genomic.GenomicGenerator.generate(subjects, LocalDate.of(2025, 1, 1), 5,
            Math.max(0, sites - 67), scratch.resolve("in"));
        Path vcf = generated.vcf();
        long bytes = Files.size(vcf);
        String bcftools = findOnPath("bcftools");
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Pseudonymizer keys = new Pseudonymizer(key);
        Map<String, Long> best = new LinkedHashMap<>();
        long genotypes = 0;
        long htsjdkGenotypes = 0;
        for (int run = 0; run < bench.repeat; run++) {
          if (bcftools != null) {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(bcftools, "view", "--no-version", "-Ou", "-o", "/dev/null", vcf.toString())
                .redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
              throw new IllegalStateException("bcftools failed: " + output);
            }
            Pit.record(best, "bcftools", t0, progress, run);
          }
          long t1 = System.nanoTime();
          htsjdkGenotypes = htsjdkDecode(vcf);
          Pit.record(best, "htsjdk", t1, progress, run);
          long t2 = System.nanoTime();
          Lakehouse lake = new Lakehouse(scratch.resolve("lake-" + run));
          var result = new org.carelake.pipelines.genomic.VcfIngestJob(spark, lake, keys, Progress.silent())
              .execute(vcf, generated.samples(), false);
          Pit.record(best, "carelake", t2, progress, run);
          genotypes = result.callsWritten();
          MoreFiles.deleteRecursively(lake.root());
        }
        int cores = Runtime.getRuntime().availableProcessors();
        double care = best.get("carelake") / 1e9;
        double hts = best.get("htsjdk") / 1e9;
        Double bcf = best.containsKey("bcftools") ? best.get("bcftools") / 1e9 : null;
        double carePerCore = genotypes / care / cores;
        String bcfRow = bcf == null ? "| `bcftools view -Ou` (not installed here: `apt-get install bcftools`) | | | |"
            : String.format(Locale.ROOT, "| `bcftools view -Ou -o /dev/null` (%s), 1 thread | %.1f | %,.0f | %,.0f |", bcftoolsVersion(bcftools),
                bcf, htsjdkGenotypes / bcf, htsjdkGenotypes / bcf);
        String block = String.format(Locale.ROOT, """
            ## VCF ingest (`./carelake bench vcf --samples %d --sites %d --repeat %d`)

            Machine: %s. Input: one bgzip VCF written with htsjdk, %d samples x %,d \
            records (%,d biallelic rows after splitting multi-allelic sites), %.1f MB, %,d genotypes. Best of %d runs per path, alternating.

            | path | time (s) | genotypes/s | genotypes/s per core |
            | --- | ---: | ---: | ---: |
            %s
            | htsjdk `VCFFileReader` loop (every genotype's alleles), 1 thread | %.1f | %,.0f | %,.0f |
            | CareLake `ingest vcf` -> silver.variant, silver.genotype (Delta), genomic_sample, manifest, %d cores | %.1f | %,.0f | %,.0f |

            Per core, CareLake runs at **%s** bcftools' decode (target: at least 0.25x); its wall time is **%.2fx** the single-threaded \
            htsjdk loop's (target: below 1x, i.e. faster).
            """, samples, sites, bench.repeat, machine(global.master), samples, generated.sites(), genotypes / Math.max(1, samples),
            bytes / 1e6, genotypes, bench.repeat, bcfRow, hts, htsjdkGenotypes / hts, htsjdkGenotypes / hts, cores, care, genotypes / care,
            carePerCore, bcf == null ? "n/a (no bcftools)" : String.format(Locale.ROOT, "%.2fx", carePerCore / (htsjdkGenotypes / bcf)),
            care / hts);
        spec.commandLine().getOut().println(block);
        spec.commandLine().getOut().flush();
        updateReport(bench.report, "vcf", block);
        return 0;
      } finally {
        MoreFiles.deleteRecursively(scratch);
      }
    }

    /** Decodes every record and genotype with htsjdk on this thread; returns genotypes x ALT alleles (the rows CareLake writes). */
    private static long htsjdkDecode(Path vcf) {
      long n = 0;
      long alleles = 0;
      try (var reader = new htsjdk.variant.vcf.VCFFileReader(vcf, false)) {
        for (var vc : reader) {
          int alts = Math.max(1, vc.getAlternateAlleles().size());
          for (var g : vc.getGenotypes()) {
            alleles += g.getAlleles().size();
            n += alts;
          }
        }
      }
      allelesSeen = alleles; // kept, so the JIT cannot drop the decode
      return n;
    }

    static volatile long allelesSeen;

    private static String findOnPath(String tool) {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
        Path p = Path.of(dir, tool);
        if (Files.isExecutable(p)) {
          return p.toString();
        }
      }
      return null;
    }

    private static String bcftoolsVersion(String bcftools) {
      try {
        Process p = new ProcessBuilder(bcftools, "--version").redirectErrorStream(true).start();
        String first = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().findFirst().orElse("");
        p.waitFor();
        return first.strip();
      } catch (IOException | InterruptedException e) {
        return "bcftools";
      }
    }
  }

  @Command(name = "quality", mixinStandardHelpOptions = true,
      description = {"A suite of about 30 checks (completeness, completeness per sex and race group, allowed values, ranges per LOINC code,",
          "time sanity, freshness, uniqueness) on a generated observation table, run by CareLake (declarative suite -> one Deequ",
          "pass), vs one hand-written Spark aggregation computing the same metrics (peer); the scan-shareable part alone and the",
          "whole suite with uniqueness. Wall time and Spark jobs; best of --repeat runs, alternating."})
  static final class Quality implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec CommandSpec spec;

    @Option(names = "--rows", defaultValue = "5000000", description = "Observation rows (default: ${DEFAULT-VALUE}).")
    long rows;

    @Mixin BenchOptions bench;

    static final String[] CODES = {"8867-4", "8480-6", "8462-4", "39156-5", "29463-7", "8302-2", "4548-4", "2339-0"};
    static final String[] RACES = {"White", "Black or African American", "Asian", "American Indian or Alaska Native", "Other"};

    @Override
    public Integer call() throws IOException {
      CliContext context = new CliContext(global);
      Progress progress = new Progress(context.progressStream(), 0);
      SparkSession spark = context.spark();
      Path scratch = Files.createTempDirectory("carelake-bench-quality-");
      try {
        progress.step("bench quality: generating " + rows + " observation rows");
        Lakehouse lake = new Lakehouse(scratch.resolve("lake"));
        org.carelake.core.TableId table = org.carelake.core.TableId.silver("bench_observation");
        spark.range(rows).selectExpr("concat('o', id) AS observation_key", "concat('p', id % 200000) AS patient_key",
                "element_at(array('" + String.join("','", CODES) + "'), cast(pmod(id, 8) + 1 as int)) AS code",
                "CASE WHEN pmod(xxhash64(id, 1), 50) = 0 THEN NULL ELSE cast(40 + pmod(xxhash64(id, 2), 120) as double) END AS value_quantity",
                "element_at(array('final', 'amended', 'preliminary'), cast(pmod(id, 3) + 1 as int)) AS status",
                "element_at(array('female', 'male'), cast(pmod(xxhash64(id, 3), 2) + 1 as int)) AS sex",
                "element_at(array('" + String.join("','", RACES) + "'), cast(pmod(xxhash64(id, 4), 5) + 1 as int)) AS race",
                "timestamp_seconds(1420070400 + pmod(xxhash64(id, 5), 315360000)) AS effective_time")
            .write().format("delta").save(lake.tablePath(table).toString());
        var schema = lake.read(spark, table).schema();
        StringBuilder yaml = new StringBuilder("table: silver.bench_observation\nchecks:\n  - name: bench\n    severity: major\n"
            + "    action: warn\n    rules:\n      - row_count: {min: 1}\n");
        for (String c : List.of("observation_key", "patient_key", "code", "status", "sex", "race", "effective_time")) {
          yaml.append("      - complete: ").append(c).append("\n");
        }
        yaml.append("      - complete_per_group: {column: value_quantity, group: sex, values: [female, male], min: 0.9}\n");
        yaml.append("      - complete_per_group: {column: value_quantity, group: race, values: ['").append(String.join("', '", RACES))
            .append("'], min: 0.9}\n");
        yaml.append("      - allowed_values: {column: status, values: [final, amended, preliminary]}\n");
        yaml.append("      - allowed_values: {column: sex, values: [female, male, other, unknown]}\n");
        yaml.append("      - range: {column: value_quantity, min: 0, max: 1000}\n");
        for (String code : CODES) {
          yaml.append("      - range: {column: value_quantity, min: 20, max: 300, where: \"code = '").append(code).append("'\"}\n");
        }
        yaml.append("      - not_in_future: effective_time\n      - freshness: {column: effective_time, max_age_days: 100000}\n");
        String scanShareable = yaml.toString();
        String whole = scanShareable + "      - unique: observation_key\n";
        var schemas = Map.of(table, schema);
        var scanSuite = org.carelake.pipelines.quality.SuiteFile.read(new java.io.StringReader(scanShareable), "bench", schemas);
        var wholeSuite = org.carelake.pipelines.quality.SuiteFile.read(new java.io.StringReader(whole), "bench", schemas);
        int checks = wholeSuite.checks().get(0).rules().size() + 1 + 4; // per-group rules expand to 2 and 5 checks
        var runner = new org.carelake.pipelines.quality.QualityRunner(spark, lake, Progress.silent());
        Map<String, Long> best = new LinkedHashMap<>();
        Map<String, Integer> jobs = new LinkedHashMap<>();
        for (int run = 0; run < bench.repeat; run++) {
          timed(spark, best, jobs, "peer scan", progress, run, () -> peerAggregate(lake.read(spark, table)).collect());
          timed(spark, best, jobs, "carelake scan", progress, run,
              () -> runner.verify(org.carelake.pipelines.quality.DeclarativeSuites.build(spark, lake, List.of(scanSuite)).get(0)));
          timed(spark, best, jobs, "peer whole", progress, run, () -> {
            var df = lake.read(spark, table);
            peerAggregate(df).collect();
            df.groupBy("observation_key").count().where("count > 1").count();
          });
          timed(spark, best, jobs, "carelake whole", progress, run,
              () -> runner.verify(org.carelake.pipelines.quality.DeclarativeSuites.build(spark, lake, List.of(wholeSuite)).get(0)));
        }
        String block = String.format(Locale.ROOT, """
            ## Quality suite (`./carelake bench quality --rows %d --repeat %d`)

            Machine: %s. Data: a generated observation Delta table of %,d rows \
            (8 LOINC codes, 2%% missing values, sex and race columns). Suite: %d checks declared in YAML (completeness of 7 columns, \
            completeness of the value per sex and per race group, allowed values, a global range and a range per LOINC code, not in the \
            future, freshness, row count; the whole suite adds uniqueness of the key). Peer: one hand-written `agg` computing the same \
            metrics (plus a `groupBy` for uniqueness). Best of %d runs, alternating; Spark jobs counted with a SparkListener.

            | path | time (s) | Spark jobs |
            | --- | ---: | ---: |
            | peer: one aggregation, scan-shareable metrics | %.1f | %d |
            | CareLake: the suite without uniqueness (one Deequ pass) | %.1f | %d |
            | peer: the aggregation + a groupBy for uniqueness | %.1f | %d |
            | CareLake: the whole suite | %.1f | %d |

            Ratio CareLake / peer: scan-shareable part **%.2fx** (target: at most 1.2x), whole suite **%.2fx** (target: at most 2x).
            """, rows, bench.repeat, machine(global.master), rows, checks, bench.repeat, best.get("peer scan") / 1e9, jobs.get("peer scan"),
            best.get("carelake scan") / 1e9, jobs.get("carelake scan"), best.get("peer whole") / 1e9, jobs.get("peer whole"),
            best.get("carelake whole") / 1e9, jobs.get("carelake whole"), (double) best.get("carelake scan") / best.get("peer scan"),
            (double) best.get("carelake whole") / best.get("peer whole"));
        spec.commandLine().getOut().println(block);
        spec.commandLine().getOut().flush();
        updateReport(bench.report, "quality", block);
        return 0;
      } finally {
        MoreFiles.deleteRecursively(scratch);
      }
    }

    /** The suite's scan-shareable metrics as one hand-written aggregation. */
    private static org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> peerAggregate(org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> df) {
      List<org.apache.spark.sql.Column> aggs = new java.util.ArrayList<>();
      aggs.add(org.apache.spark.sql.functions.count(org.apache.spark.sql.functions.lit(1)));
      for (String c : List.of("observation_key", "patient_key", "code", "status", "sex", "race", "effective_time")) {
        aggs.add(org.apache.spark.sql.functions.count(c));
      }
      List<String> groups = new java.util.ArrayList<>();
      groups.add("sex = 'female'");
      groups.add("sex = 'male'");
      for (String r : RACES) {
        groups.add("race = '" + r + "'");
      }
      for (String g : groups) {
        aggs.add(org.apache.spark.sql.functions.expr("count_if(" + g + ")"));
        aggs.add(org.apache.spark.sql.functions.expr("count_if(" + g + " AND value_quantity IS NOT NULL)"));
      }
      aggs.add(org.apache.spark.sql.functions.expr("count_if(status IN ('final', 'amended', 'preliminary'))"));
      aggs.add(org.apache.spark.sql.functions.expr("count_if(sex IN ('female', 'male', 'other', 'unknown'))"));
      aggs.add(org.apache.spark.sql.functions.expr("count_if(value_quantity IS NULL OR value_quantity BETWEEN 0 AND 1000)"));
      for (String code : CODES) {
        aggs.add(org.apache.spark.sql.functions.expr("count_if(code <> '" + code + "' OR value_quantity IS NULL OR value_quantity BETWEEN 20 AND 300)"));
      }
      aggs.add(org.apache.spark.sql.functions.expr("count_if(effective_time <= current_timestamp())"));
      aggs.add(org.apache.spark.sql.functions.expr("max(unix_timestamp(effective_time))"));
      return df.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new org.apache.spark.sql.Column[0]));
    }

    private static void timed(SparkSession spark, Map<String, Long> best, Map<String, Integer> jobs, String path, Progress progress, int run,
        Runnable work) {
      long t0 = System.nanoTime();
      int started = org.carelake.core.spark.SparkJobs.count(spark, work);
      Pit.record(best, path, t0, progress, run);
      jobs.put(path, started);
    }
  }

  /** Options every benchmark takes. */
  static final class BenchOptions {
    @Option(names = "--repeat", defaultValue = "2", description = "Runs per path (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--report", defaultValue = "docs/benchmarks.md", description = "Markdown file to update (default: ${DEFAULT-VALUE}).")
    Path report;
  }

  /** Replaces this benchmark's section of the report (between markers), keeping the others. */
  static void updateReport(Path report, String name, String block) throws IOException {
    String start = "<!-- bench:" + name + ":start -->";
    String end = "<!-- bench:" + name + ":end -->";
    String section = start + "\n" + block.strip() + "\n" + end;
    String text = Files.exists(report) ? Files.readString(report) : "# CareLake benchmarks\n\nFigures written by `./carelake bench ...`; "
        + "each section names its command, machine and peer, measured in the same run.\n";
    int a = text.indexOf(start);
    int b = text.indexOf(end);
    text = a >= 0 && b > a ? text.substring(0, a) + section + text.substring(b + end.length()) : text.strip() + "\n\n" + section + "\n";
    Files.createDirectories(report.toAbsolutePath().getParent());
    Files.writeString(report, text);
  }
}
