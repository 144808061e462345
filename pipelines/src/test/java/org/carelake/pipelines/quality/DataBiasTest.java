package org.carelake.pipelines.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.testing.SparkExtension;
import org.carelake.core.testing.TestKeys;
import org.carelake.pipelines.fhir.FhirIngestJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Data bias on a population written here: representation, coverage, suppression and small groups. */
@ExtendWith(SparkExtension.class)
class DataBiasTest {

  @Test
  void underRepresentedAndUnderCoveredGroupsAreFlaggedAndSmallCountsNeverShown(SparkSession spark, @TempDir Path dir) throws Exception {
    List<String> patients = new ArrayList<>();
    List<String> observations = new ArrayList<>();
    for (int i = 0; i < 75; i++) {
      String gender = i < 45 ? "female" : i < 70 ? "male" : "other";
      patients.add("{\"resourceType\":\"Patient\",\"id\":\"p" + i + "\",\"gender\":\"" + gender + "\",\"birthDate\":\"1970-01-01\"}");
      if (i < 30) { // 30 of 45 women have an HbA1c, no man does
        observations.add("{\"resourceType\":\"Observation\",\"id\":\"o" + i + "\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
            + "\"http://loinc.org\",\"code\":\"4548-4\"}]},\"subject\":{\"reference\":\"Patient/p" + i + "\"},"
            + "\"effectiveDateTime\":\"2024-01-01T00:00:00Z\",\"valueQuantity\":{\"value\":5.6,\"code\":\"%\"}}");
      }
    }
    Lakehouse lakehouse = ingest(spark, dir, Map.of("Patient", patients, "Observation", observations));
    Path config = dir.resolve("bias.yaml");
    Files.writeString(config, "min_group: 20\nflag_ratio: 0.8\nreference:\n  sex: {female: 0.5, male: 0.5}\n"
        + "coverage:\n  hba1c: {table: silver.observation, where: \"code = '4548-4'\"}\n  genotype: {table: silver.genomic_sample}\n");

    DataBias bias = new DataBias(spark, lakehouse);
    DataBias.Config cfg = DataBias.config(config);
    DataBias.Report report = bias.compute(cfg, LocalDate.of(2025, 1, 1), null);

    assertThat(report.patients()).isEqualTo(75);
    DataBias.Group female = group(report, "sex", "female");
    DataBias.Group male = group(report, "sex", "male");
    DataBias.Group other = group(report, "sex", "other");
    assertThat(female.share()).isEqualTo(45.0 / 75);
    assertThat(male.representationRatio()).isCloseTo((25.0 / 75) / 0.5, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(male.underRepresented()).isTrue();
    assertThat(female.underRepresented()).isFalse();
    assertThat(female.coverage().get("hba1c")).isEqualTo(30.0 / 45);
    assertThat(male.coverage().get("hba1c")).isEqualTo(0.0);
    assertThat(female.coverage().get("genotype")).as("no genomic table: nobody covered").isEqualTo(0.0);
    // 5 "other": the count and every rate of the group are withheld
    assertThat(other.patientsShown()).isEqualTo("<11");
    assertThat(other.share()).isNull();
    assertThat(other.coverage().get("hba1c")).isEqualTo("withheld (<11)");
    assertThat(report.flags()).anyMatch(f -> f.startsWith("representation: sex = male"))
        .anyMatch(f -> f.startsWith("hba1c: sex = male"));
    // the age band of everyone (55 at the as-of date) is one group; intersections pair every attribute
    assertThat(group(report, "age_band", "40-64").patientsShown()).isEqualTo("75");
    assertThat(report.intersections()).anyMatch(g -> g.attribute().equals("sex x age_band") && g.value().equals("female / 40-64"));
    // no claims: everyone's payer type is unknown, and the report says why
    assertThat(group(report, org.carelake.core.SensitiveGroups.PAYER_TYPE, "unknown").patientsShown()).isEqualTo("75");
    assertThat(report.flags()).anyMatch(f -> f.startsWith("payer_type: no patient has a claim naming a payer"));

    var written = bias.write(report, cfg);
    String html = Files.readString(written.html());
    assertThat(html).contains("<svg").contains("Coverage: patients with hba1c").contains("&lt;11");
    String json = Files.readString(written.json());
    assertThat(json).doesNotContain("\"patients\" : 5,").contains("\"patientsShown\" : \"<11\"");

    // The quality report shows the latest data bias, read back from its JSON unchanged.
    QualityReport.Content content = QualityReport.collect(spark, lakehouse, dir.resolve("no-metrics-yet.json"), Map.of());
    assertThat(content.dataBias()).isEqualTo(report);
    assertThat(QualityReport.html(content)).contains("Representation: share of patients").contains("Coverage: patients with hba1c")
        .contains("&lt;11").contains("No table has been checked yet");
  }

  @Test
  void payerTypeIsTheLatestClaimsPayerByTheAsOfDateMappedByTheConfiguredNames(SparkSession spark, @TempDir Path dir) throws Exception {
    List<String> patients = new ArrayList<>();
    List<String> claims = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      patients.add("{\"resourceType\":\"Patient\",\"id\":\"p" + i + "\",\"gender\":\"" + (i % 2 == 0 ? "female" : "male")
          + "\",\"birthDate\":\"1980-01-01\"}");
      if (i < 30) { // Medicaid in 2020, then a private payer (listed nowhere) in 2024: the latest counts
        claims.add(claim("a" + i, i, "2020-03-01T10:00:00Z", "Medicaid"));
        claims.add(claim("b" + i, i, "2024-06-01T10:00:00Z", "Humana"));
      } else if (i < 45) { // names compare without case or surrounding blanks
        claims.add(claim("a" + i, i, "2023-01-01T10:00:00Z", " MEDICAID "));
      } else if (i < 50) { // a claim after the as-of date does not count yet
        claims.add(claim("a" + i, i, "2025-01-02T00:00:00Z", "NO_INSURANCE"));
      } // 50-59: no claim at all
    }
    Lakehouse lakehouse = ingest(spark, dir, Map.of("Patient", patients, "Claim", claims));
    Path config = dir.resolve("bias.yaml");
    Files.writeString(config, "min_group: 10\ncoverage: {}\n"
        + "payer_types:\n  names: {Medicaid: public (Medicaid), NO_INSURANCE: uninsured}\n  otherwise: private\n");

    DataBias.Report report = new DataBias(spark, lakehouse).compute(DataBias.config(config), LocalDate.of(2025, 1, 1), null);

    assertThat(report.groups()).filteredOn(g -> g.attribute().equals(org.carelake.core.SensitiveGroups.PAYER_TYPE))
        .extracting(DataBias.Group::value, DataBias.Group::patientsShown)
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("private", "30"),
            org.assertj.core.groups.Tuple.tuple("public (Medicaid)", "15"), org.assertj.core.groups.Tuple.tuple("unknown", "15"));
    assertThat(report.intersections()).filteredOn(g -> g.attribute().equals("sex x payer_type") && g.value().equals("female / private"))
        .singleElement().extracting(DataBias.Group::patientsShown).isEqualTo("15");
    assertThat(report.flags()).noneMatch(f -> f.startsWith("payer_type"));

    // The built-in names are Synthea's payers.
    DataBias.Report builtIn = new DataBias(spark, lakehouse).compute(DataBias.config(null), LocalDate.of(2025, 1, 1), null);
    assertThat(builtIn.groups()).filteredOn(g -> g.attribute().equals(org.carelake.core.SensitiveGroups.PAYER_TYPE)).extracting(DataBias.Group::value)
        .containsExactlyInAnyOrder("private", "Medicaid", "unknown");
  }

  @Test
  void aPayerTypeThatIsNotTextIsAClearConfigurationError(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("bias.yaml");
    Files.writeString(config, "payer_types:\n  names:\n    Medicare: [public]\n");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> DataBias.config(config))
        .isInstanceOf(org.carelake.core.CareLakeException.class)
        .hasMessageContaining(config.toString()).hasMessageContaining("payer_types.names.Medicare");
  }

  /** Writes one NDJSON file per resource type under {@code dir/in} and ingests them into {@code dir/lh}. */
  private static Lakehouse ingest(SparkSession spark, Path dir, Map<String, List<String>> linesByType) throws Exception {
    Path in = Files.createDirectories(dir.resolve("in"));
    for (Map.Entry<String, List<String>> e : linesByType.entrySet()) {
      Files.write(in.resolve(e.getKey() + ".ndjson"), e.getValue(), StandardCharsets.UTF_8);
    }
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    new FhirIngestJob(spark, lakehouse, TestKeys.pseudonymizer(), Progress.silent()).execute(FhirIngestJob.plan(in));
    return lakehouse;
  }

  private static String claim(String id, int patient, String created, String payer) {
    return "{\"resourceType\":\"Claim\",\"id\":\"" + id + "\",\"status\":\"active\",\"type\":{\"coding\":[{\"system\":"
        + "\"http://terminology.hl7.org/CodeSystem/claim-type\",\"code\":\"professional\"}]},\"use\":\"claim\","
        + "\"patient\":{\"reference\":\"Patient/p" + patient + "\"},\"created\":\"" + created + "\","
        + "\"insurance\":[{\"sequence\":1,\"focal\":true,\"coverage\":{\"display\":\"" + payer + "\"}}]}";
  }

  private static DataBias.Group group(DataBias.Report report, String attribute, String value) {
    return report.groups().stream().filter(g -> g.attribute().equals(attribute) && g.value().equals(value)).findFirst().orElseThrow();
  }
}
