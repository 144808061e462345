package org.carelake.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.BuildLineage;
import org.carelake.core.Lakehouse;
import org.carelake.core.Layer;
import org.carelake.core.TableId;
import org.carelake.core.testing.SparkExtension;
import org.carelake.pipelines.synthea.SyntheaOptions;
import org.carelake.pipelines.testing.SyntheaFixture;
import org.carelake.training.registry.ModelRegistry;
import org.carelake.training.registry.ModelVersion;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./carelake demo} end to end on the shared seeded Synthea population, twice on the same
 * lakehouse: the second run must change no data table and register version 2 with the same metrics.
 */
@ExtendWith(SparkExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DemoEndToEndTest {

  @TempDir static Path lakehouseDir;
  static Map<TableId, Long> versionsAfterFirstRun;
  static long lineageVersionAfterFirstRun;
  static Map<TableId, Long> rowsAfterFirstRun;

  private static String[] demoArgs() {
    SyntheaOptions population = SyntheaFixture.options();
    return new String[] {"demo", "--lakehouse", lakehouseDir.toString(), "--master", "local[2]",
        "--patients", Integer.toString(population.patients()), "--seed", Long.toString(population.seed()),
        "--reference-date", population.referenceDate().toString(),
        "--cohort", Path.of("..", "training", "cohorts", "incident-hypertension-5y.yaml").toString()};
  }

  /** Reuse the population other modules' tests generated (same options, same cache key). */
  private static void linkSharedPopulation() throws Exception {
    Path raw = Files.createDirectories(new Lakehouse(lakehouseDir).rawDir());
    Path link = raw.resolve(SyntheaFixture.options().cacheKey());
    if (!Files.exists(link)) {
      Files.createSymbolicLink(link, SyntheaFixture.ndjson().toAbsolutePath());
    }
  }

  @Test
  @Order(1)
  void firstRunBuildsEveryLayerAndRegistersVersionOne(SparkSession spark) throws Exception {
    linkSharedPopulation();
    CliRunner.Result result = CliRunner.run(demoArgs());
    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out()).contains("CareLake demo finished").contains("[reconciled]").contains("Quality: PASS")
        .contains("Model AUROC (test):").contains("Registry: incident-hypertension-5y v1");

    Lakehouse lakehouse = new Lakehouse(lakehouseDir);
    assertThat(lakehouse.tables()).extracting(TableId::qualifiedName).contains("bronze.fhir_resource", "bronze.fhir_quarantine",
        "silver.patient", "silver.encounter", "silver.condition", "silver.observation", "silver.medication_request",
        "gold.patient_summary", "gold.cohort_incident_hypertension_5y", "gold.trainset_incident_hypertension_5y",
        "ops.quality_result", "ops.model_registry", "ops.training_set", "ops.feature_registry", "silver.wearable_measurement",
        "bronze.wearable_quarantine", "gold.wearable_daily", "silver.variant", "silver.genotype", "silver.genomic_sample",
        "bronze.vcf_quarantine", "gold.prs", "gold.pgx_marker");
    assertThat(result.out().lines().filter(l -> l.startsWith("Wearables: records read")).findFirst().orElseThrow()).contains("[reconciled]");
    assertThat(result.out().lines().filter(l -> l.startsWith("Genomics: VCF records read")).findFirst().orElseThrow())
        .contains("[reconciled]").contains("quarantined 0;");
    assertThat(new Lakehouse(lakehouseDir).read(spark, TableId.gold("prs")).where("score IS NOT NULL").count()).isGreaterThan(0);
    assertThat(new Lakehouse(lakehouseDir).read(spark, TableId.gold("wearable_daily")).count()).isGreaterThan(0);
    lineageVersionAfterFirstRun = lakehouse.version(spark, BuildLineage.TABLE).orElseThrow();
    versionsAfterFirstRun = new LinkedHashMap<>();
    rowsAfterFirstRun = new LinkedHashMap<>();
    for (TableId t : dataTables(lakehouse)) {
      versionsAfterFirstRun.put(t, lakehouse.version(spark, t).orElseThrow());
      rowsAfterFirstRun.put(t, lakehouse.read(spark, t).count());
    }

    Path biasJson = lakehouseDir.resolve("reports/bias/incident-hypertension-5y-bias-report.json");
    JsonNode bias = new ObjectMapper().readTree(biasJson.toFile());
    assertThat(bias.path("groups")).extracting(g -> g.path("attribute").asText()).as("model bias report attributes")
        .contains("sex", "race", "ethnicity", "age_band", "payer_type");
    assertThat(bias.path("groups")).filteredOn(g -> g.path("attribute").asText().equals("payer_type"))
        .extracting(g -> g.path("group").asText()).as("payer types at the index date").contains("private");
    for (JsonNode group : bias.path("groups")) {
      String patients = group.path("patients").asText();
      assertThat(patients.equals("<11") || Long.parseLong(patients) >= 11).as("small counts suppressed: " + patients).isTrue();
      String positives = group.path("positives").asText("");
      assertThat(positives.isEmpty() || positives.equals("<11") || positives.equals("0") || Long.parseLong(positives) >= 11)
          .as("small outcome counts suppressed: " + positives).isTrue();
    }
    assertThat(Files.readString(lakehouseDir.resolve("reports/bias/incident-hypertension-5y-bias-report.html"))).contains("<svg");
    assertThat(Files.readString(lakehouseDir.resolve("reports/quality/quality-report.html"))).contains("PASS");
    // Each ingest step checked the silver tables it wrote; the report has every one, with a verdict for its current version.
    JsonNode quality = new ObjectMapper().readTree(lakehouseDir.resolve("reports/quality/quality-report.json").toFile());
    assertThat(quality.path("overall").asText()).isEqualTo("PASS");
    List<String> checked = new java.util.ArrayList<>();
    for (JsonNode table : quality.path("tables")) {
      checked.add(table.path("table").asText());
      assertThat(table.path("currentVerdict").asText()).as(table.path("table").asText()).isIn("PASS", "WARN");
      assertThat(table.path("metrics").get(0).path("points").size()).as("row count history").isPositive();
    }
    assertThat(checked).contains("silver.patient", "silver.observation", "silver.wearable_measurement", "silver.genotype");
    assertThat(quality.path("dataBias").path("groups").size()).as("data bias in the quality report").isPositive();
    assertThat(Files.readString(lakehouseDir.resolve("reports/bias/data-bias.html"))).contains("Representation").contains("<svg");
    JsonNode dataBias = new ObjectMapper().readTree(lakehouseDir.resolve("reports/bias/data-bias.json").toFile());
    for (JsonNode group : dataBias.path("groups")) {
      String shown = group.path("patientsShown").asText();
      assertThat(shown.equals("<11") || Long.parseLong(shown) >= 11).as("data bias counts suppressed: " + shown).isTrue();
    }
    // The fields notebooks/explore_lakehouse.ipynb reads (its test writes reports in this layout).
    assertThat(quality.path("overall").isTextual()).isTrue();
    quality.path("tables").forEach(t -> assertThat(t.has("table") && t.has("currentVersion") && t.has("currentVerdict")).isTrue());
    JsonNode card = new ObjectMapper().readTree(lakehouseDir.resolve("registry/incident-hypertension-5y/v1/model-card.json").toFile());
    assertThat(card.path("model").asText()).isEqualTo("incident-hypertension-5y");
    assertThat(card.path("version").asInt()).isEqualTo(1);
    assertThat(card.at("/metrics/auroc_test").isNumber()).as("held-out AUROC defined (stratified split): %s", card.path("metrics")).isTrue();
    assertThat(card.at("/lineage/input_delta_versions").isObject()).as("lineage: %s", card.path("lineage")).isTrue();
    assertThat(bias.path("model").asText()).isEqualTo("incident-hypertension-5y");
    assertThat(bias.path("evaluated on").isTextual() && bias.path("tpr_gap_by_attribute").isObject()).isTrue();
    assertThat(bias.path("findings").isArray()).isTrue();
    assertThat(bias.path("findings")).as("the demo's claims give payer types: no attribute is unknown for everyone").isEmpty();
    bias.path("groups").forEach(g -> assertThat(List.of("attribute", "group", "patients", "positives", "truePositiveRate",
        "falsePositiveRate", "auroc")).allMatch(g::has));
    assertThat(dataBias.path("asOf").isTextual() && dataBias.path("flags").isArray()).isTrue();
    // the demo's claims give patients a payer type (Synthea's payers mapped by the built-in names)
    List<String> payerTypes = new java.util.ArrayList<>();
    dataBias.path("groups").forEach(g -> {
      if (g.path("attribute").asText().equals("payer_type")) {
        payerTypes.add(g.path("value").asText());
      }
    });
    assertThat(payerTypes).as("payer types in the data bias report").contains("Medicare", "private");
    assertThat(dataBias.path("flags").toString()).doesNotContain("every payer type is unknown");
  }

  @Test
  @Order(2)
  void secondRunChangesNoDataTableAndTrainsNothing_retrainRegistersVersionTwoWithTheSameMetrics(SparkSession spark) {
    CliRunner.Result result = CliRunner.run(demoArgs());
    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out()).contains("incident-hypertension-5y v1 is up to date: it was trained on training set ts-")
        .contains("Registry: incident-hypertension-5y v1 at").contains("(up to date)")
        .contains(lakehouseDir.resolve("registry/incident-hypertension-5y/v1/bias-report.html").toString());

    Lakehouse lakehouse = new Lakehouse(lakehouseDir);
    for (TableId t : dataTables(lakehouse)) {
      assertThat(lakehouse.version(spark, t).orElseThrow()).as("Delta version of " + t).isEqualTo(versionsAfterFirstRun.get(t));
      assertThat(lakehouse.read(spark, t).count()).as("rows of " + t).isEqualTo(rowsAfterFirstRun.get(t));
    }
    assertThat(lakehouse.version(spark, BuildLineage.TABLE).orElseThrow()).as("gold.patient_summary's build skipped: silver did not move")
        .isEqualTo(lineageVersionAfterFirstRun);
    ModelRegistry registry = new ModelRegistry(spark, lakehouse);
    assertThat(registry.versions("incident-hypertension-5y")).extracting(ModelVersion::version).as("nothing new to train on")
        .containsExactly(1);

    String[] train = {"train", "--lakehouse", lakehouseDir.toString(), "--master", "local[2]",
        "--cohort", Path.of("..", "training", "cohorts", "incident-hypertension-5y.yaml").toString()};
    CliRunner.Result retrain = CliRunner.run(concat(train, new String[] {"--retrain"}));
    assertThat(retrain.exitCode()).as(retrain.err()).isZero();
    assertThat(retrain.out()).contains("Registered incident-hypertension-5y v2");
    // The gate still applies when nothing is trained, to the latest version's audit: allow just less than v2's gap.
    double gap = registry.versions("incident-hypertension-5y").get(1).metric("max_tpr_gap");
    assertThat(gap).as("v2's card holds its gap").isNotNaN();
    CliRunner.Result gated = CliRunner.run(concat(train, new String[] {"--max-tpr-gap", Double.toString(gap - 0.001)}));
    assertThat(gated.exitCode()).as(gated.out() + gated.err()).isEqualTo(1);
    assertThat(gated.err()).contains("Fairness gate").contains("nothing trained: v2 was trained on these inputs");
    CliRunner.Result passed = CliRunner.run(concat(train, new String[] {"--max-tpr-gap", Double.toString(gap)}));
    assertThat(passed.exitCode()).as(passed.err()).isZero();
    assertThat(passed.out()).contains("incident-hypertension-5y v2 is up to date");

    List<ModelVersion> versions = registry.versions("incident-hypertension-5y");
    assertThat(versions).extracting(ModelVersion::version).containsExactly(1, 2);
    assertThat(lakehouse.read(spark, ModelRegistry.INDEX).filter("model = 'incident-hypertension-5y'").orderBy("version")
        .select("version").as(org.apache.spark.sql.Encoders.INT()).collectAsList()).containsExactly(1, 2);
    assertThat(versions.get(1).card().get("metrics")).isEqualTo(versions.get(0).card().get("metrics"));
    Map<?, ?> lineage = (Map<?, ?>) versions.get(1).card().get("lineage");
    assertThat(lineage.get("training_set_hash")).isEqualTo(((Map<?, ?>) versions.get(0).card().get("lineage")).get("training_set_hash"));
    assertThat(((Map<?, ?>) lineage.get("input_delta_versions")).keySet()).map(Object::toString).contains("silver.patient", "silver.observation");
  }

  @Test
  @Order(3)
  void tablesAreReachableBySqlAndListedWithVersions() {
    CliRunner.Result sql = CliRunner.run("sql", "--lakehouse", lakehouseDir.toString(), "--master", "local[2]",
        "SELECT count(*) AS n FROM silver.patient");
    assertThat(sql.exitCode()).as(sql.err()).isZero();
    assertThat(sql.out().lines().toList()).hasSize(2).first().isEqualTo("n");
    assertThat(Long.parseLong(sql.out().lines().toList().get(1))).isEqualTo(rowsAfterFirstRun.get(TableId.silver("patient")));

    CliRunner.Result tables = CliRunner.run("tables", "--lakehouse", lakehouseDir.toString(), "--master", "local[2]");
    assertThat(tables.exitCode()).isZero();
    assertThat(tables.out()).contains("silver.observation").contains("gold.patient_summary").contains("version");

    // A check by hand adds a point to the table's history in the report, which runs no checks itself.
    CliRunner.Result check = CliRunner.run("quality", "run", "--table", "silver.patient", "--lakehouse", lakehouseDir.toString(),
        "--master", "local[2]");
    assertThat(check.exitCode()).as(check.err()).isZero();
    CliRunner.Result report = CliRunner.run("quality", "report", "--no-bias", "--lakehouse", lakehouseDir.toString(), "--master", "local[2]");
    assertThat(report.exitCode()).as(report.err()).isZero();
    assertThat(report.out()).contains("Quality report:");
    try {
      JsonNode patient = null;
      for (JsonNode t : new ObjectMapper().readTree(lakehouseDir.resolve("reports/quality/quality-report.json").toFile()).path("tables")) {
        patient = t.path("table").asText().equals("silver.patient") ? t : patient;
      }
      assertThat(patient.path("history").size()).isGreaterThanOrEqualTo(2);
      assertThat(patient.path("metrics").get(0).path("points").size()).isGreaterThanOrEqualTo(2);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  @Order(4)
  void cohortFeaturesAndTrainingSetCommandsWorkOnTheDemoLakehouse() throws Exception {
    String[] common = {"--lakehouse", lakehouseDir.toString(), "--master", "local[2]"};
    CliRunner.Result list = CliRunner.run(concat(new String[] {"features", "list"}, common));
    assertThat(list.exitCode()).as(list.err()).isZero();
    assertThat(list.out()).contains("cardiometabolic_v1").contains("last_bmi").contains("bmi_trend_3y").contains("carelake-ml");

    CliRunner.Result build = CliRunner.run(concat(new String[] {"features", "build", "--as-of", "2024-12-31"}, common));
    assertThat(build.exitCode()).as(build.err()).isZero();
    assertThat(build.out()).contains("Built gold.feature_cardiometabolic_v1").contains("(first build)")
        .contains("First build of cardiometabolic_v1: no earlier build to compare for drift");
    Path buildReport = lakehouseDir.resolve("reports/features/cardiometabolic_v1-build.html");
    assertThat(Files.readString(buildReport)).contains("no earlier build to compare").doesNotContain("drifted since");
    CliRunner.Result rebuild = CliRunner.run(concat(new String[] {"features", "build", "--as-of", "2024-12-31"}, common));
    assertThat(rebuild.out()).contains("(unchanged)").contains("0 of 21 features drifted since build");
    assertThat(Files.readString(buildReport)).contains("<svg").contains("0 feature(s) drifted since the previous build");

    Path dysglycemia = Path.of("..", "training", "cohorts", "incident-dysglycemia-3y.yaml");
    CliRunner.Result cohort = CliRunner.run(concat(new String[] {"cohort", "build", "--cohort", dysglycemia.toString()}, common));
    assertThat(cohort.exitCode()).as(cohort.err()).isZero();
    assertThat(cohort.out()).contains("Wrote gold.cohort_incident_dysglycemia_3y").contains("include: ").contains("exclude: ");
    JsonNode attrition = new ObjectMapper().readTree(lakehouseDir.resolve("reports/cohorts/incident-dysglycemia-3y-attrition.json")
        .toFile());
    int cells = 0;
    for (JsonNode step : attrition.path("steps")) {
      for (JsonNode attribute : step.path("by_group")) {
        for (JsonNode count : attribute) {
          String shown = count.asText();
          assertThat(shown.startsWith("<11") || Long.parseLong(shown) == 0 || Long.parseLong(shown) >= 11)
              .as("attrition cell " + shown).isTrue();
          cells++;
        }
      }
    }
    assertThat(cells).isGreaterThan(20);

    ModelVersion latest = new ModelRegistry(SparkExtension.spark(), new Lakehouse(lakehouseDir)).versions("incident-hypertension-5y")
        .get(1);
    String trainingSet = (String) ((Map<?, ?>) latest.card().get("lineage")).get("training_set_id");
    CliRunner.Result again = CliRunner.run(concat(new String[] {"trainset", "--rebuild", trainingSet}, common));
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.out()).contains("identical");
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private static List<TableId> dataTables(Lakehouse lakehouse) {
    return lakehouse.tables().stream().filter(t -> t.layer() != Layer.OPS).toList();
  }
}
