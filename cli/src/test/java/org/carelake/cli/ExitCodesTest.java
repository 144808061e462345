package org.carelake.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SparkExtension.class)
class ExitCodesTest {

  /** The commands read the build's test key (as the demo test leaves it): create it when this class runs alone. */
  @org.junit.jupiter.api.BeforeAll
  static void testKey() {
    org.carelake.core.KeyProvider.fromEnvironment().createLocalKeyIfMissing();
  }

  @Test
  void badUsageAndUnreadableInputExitTwoWithAFix(@TempDir Path dir) throws Exception {
    CliRunner.Result unknownOption = CliRunner.run("tables", "--no-such-option");
    assertThat(unknownOption.exitCode()).isEqualTo(2);
    assertThat(unknownOption.err()).contains("--no-such-option");

    CliRunner.Result missing = CliRunner.run("ingest", "fhir", "--lakehouse", dir.toString(), "--master", "local[2]",
        "--input", dir.resolve("absent").toString());
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("Cannot read FHIR input").contains("Fix:");

    CliRunner.Result noWearables = CliRunner.run("ingest", "wearables", "--lakehouse", dir.toString(), "--master", "local[2]",
        "--input", dir.resolve("absent").toString(), "--devices", dir.resolve("devices.csv").toString());
    assertThat(noWearables.exitCode()).isEqualTo(2);
    assertThat(noWearables.err()).contains("Cannot read wearable input").contains("Fix:");
    Path fitbit = Files.createDirectories(dir.resolve("fitbit"));
    Files.writeString(fitbit.resolve("heartrate_seconds_merged.csv"), "Id,Time,Value\r\n1,4/12/2016 7:21:00 AM,65\r\n");
    CliRunner.Result noDevices = CliRunner.run("ingest", "wearables", "--lakehouse", dir.toString(), "--master", "local[2]",
        "--input", fitbit.toString(), "--devices", dir.resolve("devices.csv").toString());
    assertThat(noDevices.exitCode()).isEqualTo(2);
    assertThat(noDevices.err()).contains("Cannot read the device map " + dir.resolve("devices.csv") + ": no such file.")
        .contains("device_id,patient_id,time_zone");

    Path notVcf = Files.writeString(dir.resolve("notes.vcf"), "patient list\n");
    Path samples = Files.writeString(dir.resolve("samples.csv"), "sample_id,patient_id\nS1,p1\n");
    CliRunner.Result badVcf = CliRunner.run("ingest", "vcf", "--lakehouse", dir.toString(), "--master", "local[2]",
        "--input", notVcf.toString(), "--manifest", samples.toString());
    assertThat(badVcf.exitCode()).isEqualTo(2);
    assertThat(badVcf.err()).contains("notes.vcf line 1 is not a VCF header").contains("Fix:");
    Path badScore = Files.writeString(dir.resolve("PGS_BAD.txt"), "rsID\tchr_name\teffect_allele\nrs1\t1\tA\n");
    CliRunner.Result prs = CliRunner.run("prs", "--lakehouse", dir.toString(), "--score", badScore.toString());
    assertThat(prs.exitCode()).isEqualTo(2);
    assertThat(prs.err()).contains("PGS_BAD.txt line 1").contains("effect_weight");

    CliRunner.Result badCohort = CliRunner.run("train", "--lakehouse", dir.toString(), "--cohort", dir.resolve("none.yaml").toString());
    assertThat(badCohort.exitCode()).isEqualTo(2);
    assertThat(badCohort.err()).contains("Cannot read cohort definition").contains("no such file").contains("pass --cohort");

    CliRunner.Result syntax = CliRunner.run("sql", "--lakehouse", dir.toString(), "--master", "local[2]", "SELEC gender FROM silver.patient");
    assertThat(syntax.exitCode()).as(syntax.err()).isEqualTo(2);
    assertThat(syntax.err()).contains("The query cannot run").contains("PARSE_SYNTAX_ERROR").contains("SELEC gender").contains("Fix:")
        .doesNotContain("internal error").doesNotContain("\tat ");
    CliRunner.Result noTable = CliRunner.run("sql", "--lakehouse", dir.toString(), "--master", "local[2]", "SELECT * FROM silver.nothing");
    assertThat(noTable.exitCode()).as(noTable.err()).isEqualTo(2);
    assertThat(noTable.err()).contains("TABLE_OR_VIEW_NOT_FOUND").contains("./carelake tables").doesNotContain("UnresolvedRelation");
    CliRunner.Result nothingToCheck = CliRunner.run("quality", "run", "--lakehouse", dir.resolve("empty").toString(), "--master", "local[2]");
    assertThat(nothingToCheck.exitCode()).as("a gate that checked nothing does not pass").isEqualTo(2);
    assertThat(nothingToCheck.err()).contains("nothing was checked").contains("--lakehouse");
    assertThat(nothingToCheck.out()).doesNotContain("PASS");
    CliRunner.Result noTables = CliRunner.run("tables", "--lakehouse", dir.resolve("empty").toString(), "--master", "local[2]");
    assertThat(noTables.exitCode()).isZero();
    assertThat(noTables.out()).contains("No tables in lakehouse").contains("./carelake demo");
    CliRunner.Result noModel = CliRunner.run("registry", "--lakehouse", dir.toString(), "no-such-model");
    assertThat(noModel.exitCode()).isEqualTo(2);
    assertThat(noModel.err()).contains("No version of model 'no-such-model'").contains("./carelake train");

    Path badGroups = Files.writeString(dir.resolve("groups.yaml"), "age_bands: [65, 18]\n");
    CliRunner.Result groups = CliRunner.run("cohort", "build", "--lakehouse", dir.toString(), "--definition",
        Path.of("..", "training", "cohorts", "incident-hypertension-5y.yaml").toString(), "--bias-config", badGroups.toString());
    assertThat(groups.exitCode()).isEqualTo(2);
    assertThat(groups.err()).contains("groups.yaml").contains("age_bands").contains("Fix:");
    CliRunner.Result rebuildWithGroups = CliRunner.run("trainset", "--lakehouse", dir.toString(), "--rebuild", "ts-0",
        "--bias-config", badGroups.toString());
    assertThat(rebuildWithGroups.exitCode()).isEqualTo(2);
    assertThat(rebuildWithGroups.err()).contains("uses the sensitive groups recorded with the training set");
  }

  @Test
  void genotypesOfPatientsTheEhrDoesNotKnowAreCommittedAndTheGoldStepSaysWhatToIngestFirst(@TempDir Path dir) throws Exception {
    Path vcf = Files.writeString(dir.resolve("calls.vcf"), String.join("\n", "##fileformat=VCFv4.2", "##contig=<ID=1,length=1000>",
        "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1", "1\t100\t.\tA\tG\t50\tPASS\t.\tGT\t0/1") + "\n");
    Path samples = Files.writeString(dir.resolve("samples.csv"), "sample_id,patient_id\nS1,p1\n");
    String lakehouse = dir.resolve("lh").toString();
    Path unindexed = Files.writeString(dir.resolve("ref.fa"), ">1\nACGT\n");
    CliRunner.Result noIndex = CliRunner.run("ingest", "vcf", "--lakehouse", lakehouse, "--master", "local[2]", "--input", vcf.toString(),
        "--manifest", samples.toString(), "--reference", unindexed.toString());
    assertThat(noIndex.exitCode()).isEqualTo(2);
    assertThat(noIndex.err()).contains("ref.fa has no index").contains("samtools faidx");

    CliRunner.Result r = CliRunner.run("ingest", "vcf", "--lakehouse", lakehouse, "--master", "local[2]", "--input", vcf.toString(),
        "--manifest", samples.toString());
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.out()).contains("calls 1 = written 1");
    assertThat(r.err()).contains("The VCF ingest above was committed").contains("every patient_key exists in silver.patient")
        .contains("(./carelake ingest fhir) first").contains("./carelake pgx");
    assertThat(new org.carelake.core.Lakehouse(Path.of(lakehouse)).exists(org.carelake.core.TableId.silver("genotype"))).isTrue();

    // sql reads; a statement that would change a table is refused unless --allow-writes says so
    for (String write : List.of("DELETE FROM silver.genotype", "CREATE TABLE gold.copy AS SELECT * FROM silver.genotype",
        "RESTORE TABLE silver.genotype TO VERSION AS OF 0")) {
      CliRunner.Result refused = CliRunner.run("sql", "--lakehouse", lakehouse, "--master", "local[2]", write);
      assertThat(refused.exitCode()).as(write + ": " + refused.err()).isEqualTo(2);
      assertThat(refused.err()).contains("sql runs queries, SHOW and DESCRIBE only").contains("--allow-writes");
    }
    assertThat(new org.carelake.core.Lakehouse(Path.of(lakehouse)).exists(org.carelake.core.TableId.gold("copy"))).isFalse();
    CliRunner.Result history = CliRunner.run("sql", "--lakehouse", lakehouse, "--master", "local[2]",
        "DESCRIBE HISTORY silver.genotype");
    assertThat(history.exitCode()).as(history.err()).isZero();
    assertThat(history.out().lines().skip(1)).as("one commit: nothing above changed the table").singleElement().asString()
        .contains("WRITE");
    CliRunner.Result deleted = CliRunner.run("sql", "--lakehouse", lakehouse, "--master", "local[2]", "--allow-writes",
        "DELETE FROM silver.genotype");
    assertThat(deleted.exitCode()).as(deleted.err()).isZero();
    assertThat(CliRunner.run("sql", "--lakehouse", lakehouse, "--master", "local[2]", "SELECT count(*) FROM silver.genotype").out())
        .endsWith("0\n");
  }

  @Test
  void failedQualityGateExitsOneAndTrainingRefusesUncheckedData(@TempDir Path dir) throws Exception {
    String patient = "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\",\"birthDate\":\"1950-02-03\"}";
    String heartRate = "{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
        + "\"http://loinc.org\",\"code\":\"8867-4\"}]},\"subject\":{\"reference\":\"Patient/p1\"},\"effectiveDateTime\":"
        + "\"2020-01-01T00:00:00Z\",\"valueQuantity\":{\"value\":BPM,\"code\":\"/min\"}}";
    Path bad = Files.createDirectories(dir.resolve("bad"));
    Files.write(bad.resolve("Patient.ndjson"), List.of(patient), StandardCharsets.UTF_8);
    Files.write(bad.resolve("Observation.ndjson"), List.of(heartRate.replace("BPM", "400")), StandardCharsets.UTF_8);
    String lakehouse = dir.resolve("lh").toString();
    // The ingest step checks what it wrote before committing: an implausible heart rate fails it, and nothing is kept.
    CliRunner.Result failed = CliRunner.run("ingest", "fhir", "--lakehouse", lakehouse, "--master", "local[2]", "--input", bad.toString());
    assertThat(failed.exitCode()).isEqualTo(1);
    assertThat(failed.out()).containsPattern("silver.observation +v\\d+ +FAIL");
    assertThat(failed.err()).contains("ingest fhir stopped by its quality checks").contains("Nothing this step wrote was committed");
    assertThat(new org.carelake.core.Lakehouse(Path.of(lakehouse)).exists(org.carelake.core.TableId.silver("observation"))).isFalse();

    Path good = Files.createDirectories(dir.resolve("good"));
    Files.write(good.resolve("Patient.ndjson"), List.of(patient), StandardCharsets.UTF_8);
    Files.write(good.resolve("Observation.ndjson"), List.of(heartRate.replace("BPM", "72")), StandardCharsets.UTF_8);
    CliRunner.Result ingested = CliRunner.run("ingest", "fhir", "--lakehouse", lakehouse, "--master", "local[2]", "--input", good.toString());
    assertThat(ingested.exitCode()).as(ingested.err()).isZero();
    assertThat(ingested.out()).containsPattern("silver.observation +v\\d+ +(PASS|WARN)");
    CliRunner.Result gold = CliRunner.run("gold", "--lakehouse", lakehouse, "--master", "local[2]");
    assertThat(gold.exitCode()).as(gold.err()).isZero();
    assertThat(gold.out()).contains("gold.patient_summary v-1 -> v0 (built from silver.patient v", "silver.observation v");
    CliRunner.Result goldAgain = CliRunner.run("gold", "--lakehouse", lakehouse, "--master", "local[2]");
    assertThat(goldAgain.exitCode()).as(goldAgain.err()).isZero();
    assertThat(goldAgain.out()).contains("gold.patient_summary v0 -> v0 (up to date: its last build read silver.patient v");

    // a wearable export whose every record is kept aside (its device is not mapped): exit 2, pointing at the quarantine
    Path wearables = Files.createDirectories(dir.resolve("wearables"));
    Files.writeString(wearables.resolve("heartrate_seconds_merged.csv"), "Id,Time,Value\r\n999,4/12/2016 7:21:00 AM,65\r\n");
    Path devices = Files.writeString(dir.resolve("devices.csv"), "device_id,patient_id,time_zone\n1,p1,UTC\n");
    CliRunner.Result unmapped = CliRunner.run("ingest", "wearables", "--lakehouse", lakehouse, "--master", "local[2]",
        "--input", wearables.toString(), "--devices", devices.toString());
    assertThat(unmapped.exitCode()).isEqualTo(2);
    assertThat(unmapped.out()).contains("records read 1 = accepted 0 + quarantined 1");
    assertThat(unmapped.err()).contains("bronze.wearable_quarantine");

    // Tables created empty (no encounters in this input) have no verdict until their first rows are checked.
    CliRunner.Result train = CliRunner.run("train", "--lakehouse", lakehouse, "--master", "local[2]",
        "--cohort", Path.of("..", "training", "cohorts", "incident-hypertension-5y.yaml").toString());
    assertThat(train.exitCode()).as("no quality verdict yet").isEqualTo(1);
    assertThat(train.err()).contains("has no quality verdict");

    // A stricter suite run by hand fails the gate with exit 1.
    Path strict = Files.createDirectories(dir.resolve("suites"));
    Files.writeString(strict.resolve("silver.observation.yaml"), "table: silver.observation\nchecks:\n  - name: enough data\n"
        + "    severity: critical\n    action: fail\n    rules:\n      - row_count: {min: 5}\n");
    CliRunner.Result quality = CliRunner.run("quality", "run", "--table", "silver.observation", "--suites", strict.toString(),
        "--lakehouse", lakehouse, "--master", "local[2]");
    assertThat(quality.exitCode()).isEqualTo(1);
    assertThat(quality.out()).containsPattern("silver.observation +v\\d+ +FAIL");
    assertThat(quality.err()).contains("Quality gate failed");
  }
}
