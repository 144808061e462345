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
    subcommands = BenchCommand.Fhir.class)
public final class BenchCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
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

    @Option(names = "--repeat", defaultValue = "2", description = "Runs per path (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--report", defaultValue = "docs/benchmarks.md", description = "Markdown file to update (default: ${DEFAULT-VALUE}).")
    Path report;

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
        for (int run = 0; run < repeat; run++) {
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
      updateReport(report, "fhir", block);
      return 0;
    }

    private String markdown(int files, long bytes, long resources, long plainNanos, long careLakeNanos) {
      double mb = bytes / 1e6;
      double plain = plainNanos / 1e9;
      double care = careLakeNanos / 1e9;
      return String.format(Locale.ROOT, """
          ## FHIR ingest (`./carelake bench fhir --patients %d --seed %d --repeat %d`)

          Machine: %d cores, JVM max heap %d MB, Java %s, `--master %s`. Input: %d Synthea Bulk NDJSON files, %.1f MB, \
          %,d resources. Best of %d runs per path, alternating.

          | path | time (s) | resources/s | MB/s |
          | --- | ---: | ---: | ---: |
          | peer: `spark.read.schema(s).json` -> Parquet | %.1f | %,.0f | %.1f |
          | CareLake: HAPI R4 parse -> bronze + quarantine + silver Delta MERGE | %.1f | %,.0f | %.1f |

          Ratio CareLake / peer: **%.2fx** (target: at most 1.3x).
          """, patients, seed, repeat, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / (1024 * 1024),
          System.getProperty("java.version"), global.master, files, mb, resources, repeat, plain, resources / plain, mb / plain,
          care, resources / care, mb / care, care / plain);
    }
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
