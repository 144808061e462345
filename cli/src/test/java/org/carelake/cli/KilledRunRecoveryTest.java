package org.carelake.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.KeyProvider;
import org.carelake.core.Lakehouse;
import org.carelake.core.TableId;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real kill: {@code ingest fhir} runs in a JVM of its own and gets SIGKILL after its first table
 * commit, before the step commits. The next command on the lakehouse must put every table back.
 */
@ExtendWith(SparkExtension.class)
class KilledRunRecoveryTest {

  @BeforeAll
  static void testKey() {
    KeyProvider.fromEnvironment().createLocalKeyIfMissing();
  }

  private static String patient(String id) {
    return "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"gender\":\"female\",\"birthDate\":\"1950-02-03\"}";
  }

  private static String heartRate(String id, String patient, int bpm) {
    return "{\"resourceType\":\"Observation\",\"id\":\"" + id + "\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
        + "\"http://loinc.org\",\"code\":\"8867-4\"}]},\"subject\":{\"reference\":\"Patient/" + patient + "\"},"
        + "\"effectiveDateTime\":\"2020-01-01T00:00:00Z\",\"valueQuantity\":{\"value\":" + bpm + ",\"code\":\"/min\"}}";
  }

  /** An export of {@code patients} patients from {@code first} on, each with 20 heart rates. */
  private static Path export(Path dir, int first, int patients) throws Exception {
    Files.createDirectories(dir);
    List<String> people = new ArrayList<>();
    List<String> observations = new ArrayList<>();
    IntStream.range(first, first + patients).forEach(p -> {
      people.add(patient("p" + p));
      IntStream.range(0, 20).forEach(o -> observations.add(heartRate("o" + p + "-" + o, "p" + p, 60 + o)));
    });
    Files.write(dir.resolve("Patient.ndjson"), people, StandardCharsets.UTF_8);
    Files.write(dir.resolve("Observation.ndjson"), observations, StandardCharsets.UTF_8);
    return dir;
  }

  /** The newest version in each table's Delta log, read from its file names (no Spark: the other JVM is writing). */
  private static Map<TableId, Long> logVersions(Lakehouse lakehouse) throws Exception {
    Map<TableId, Long> versions = new LinkedHashMap<>();
    for (TableId table : lakehouse.tables()) {
      try (Stream<Path> log = Files.list(lakehouse.tablePath(table).resolve("_delta_log"))) {
        versions.put(table, log.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{20}\\.json"))
            .mapToLong(n -> Long.parseLong(n.substring(0, 20))).max().orElse(-1));
      }
    }
    return versions;
  }

  private static Process ingestInItsOwnJvm(String lakehouse, Path input, Path log) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    String keyFile = System.getProperty(KeyProvider.DEFAULT_KEY_FILE_PROPERTY);
    if (keyFile != null) {
      command.add("-D" + KeyProvider.DEFAULT_KEY_FILE_PROPERTY + "=" + keyFile);
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), CareLakeCli.class.getName(),
        "ingest", "fhir", "--lakehouse", lakehouse, "--master", "local[2]", "--input", input.toString()));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  @Test
  void ingestKilledAfterItsFirstTableCommitIsRolledBackByTheNextCommand(SparkSession spark, @TempDir Path dir) throws Exception {
    String lakehouseDir = dir.resolve("lh").toString();
    Lakehouse lakehouse = new Lakehouse(Path.of(lakehouseDir));
    CliRunner.Result committed = CliRunner.run("ingest", "fhir", "--lakehouse", lakehouseDir, "--master", "local[2]",
        "--input", export(dir.resolve("first"), 0, 20).toString());
    assertThat(committed.exitCode()).as(committed.err()).isZero();
    Map<TableId, Long> good = logVersions(lakehouse);
    Map<TableId, Long> goodRows = new LinkedHashMap<>();
    good.keySet().forEach(t -> goodRows.put(t, lakehouse.read(spark, t).count()));

    Path log = dir.resolve("killed-ingest.log");
    Process ingest = ingestInItsOwnJvm(lakehouseDir, export(dir.resolve("second"), 20, 200), log);
    long deadline = System.nanoTime() + 180_000_000_000L;
    while (!movedPast(lakehouse, good)) {
      if (!ingest.isAlive() || System.nanoTime() > deadline) {
        ingest.destroyForcibly();
        fail("the ingest ended or stalled before its first table commit:%n%s", Files.readString(log));
      }
      Thread.sleep(20);
    }
    ingest.destroyForcibly(); // SIGKILL: no shutdown hook, no rollback of its own
    ingest.waitFor();
    assertThat(logVersions(lakehouse)).as("the killed run left a table past its last good version").isNotEqualTo(good);
    assertThat(journals(lakehouse)).as("and its journal").hasSize(1);

    java.io.ByteArrayOutputStream progress = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stderr = System.err;
    System.setErr(new java.io.PrintStream(progress, true, StandardCharsets.UTF_8)); // where CliContext reports the recovery
    CliRunner.Result next;
    try {
      next = CliRunner.run("tables", "--lakehouse", lakehouseDir, "--master", "local[2]");
    } finally {
      System.setErr(stderr);
    }

    assertThat(next.exitCode()).as(next.err()).isZero();
    assertThat(progress.toString(StandardCharsets.UTF_8)).contains("Rolled back a run of process " + ingest.pid(), "which stopped before it committed",
        "restored to version");
    for (Map.Entry<TableId, Long> table : good.entrySet()) {
      assertThat(lakehouse.read(spark, table.getKey()).exceptAll(lakehouse.readAt(spark, table.getKey(), table.getValue())).isEmpty())
          .as("%s has no rows beyond its last good version", table.getKey()).isTrue();
      assertThat(lakehouse.read(spark, table.getKey()).count()).as("rows of %s", table.getKey()).isEqualTo(goodRows.get(table.getKey()));
    }
    assertThat(journals(lakehouse)).as("journal removed").isEmpty();
  }

  private static List<Path> journals(Lakehouse lakehouse) throws Exception {
    try (Stream<Path> files = Files.list(lakehouse.root().resolve("_transactions"))) {
      return files.filter(p -> p.getFileName().toString().endsWith(".json")).toList();
    }
  }

  /** Whether a table's Delta log has a version past {@code good}. */
  private static boolean movedPast(Lakehouse lakehouse, Map<TableId, Long> good) {
    Map<TableId, Long> now;
    try {
      now = logVersions(lakehouse);
    } catch (Exception e) {
      return false; // a log being written: look again
    }
    return good.entrySet().stream().anyMatch(e -> now.getOrDefault(e.getKey(), -1L) > e.getValue());
  }
}
