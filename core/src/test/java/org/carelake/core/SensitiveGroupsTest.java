package org.carelake.core;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.carelake.core.testing.SilverRows.claim;
import static org.carelake.core.testing.SilverRows.patient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.carelake.core.schema.ClaimSchema;
import org.carelake.core.schema.PatientSchema;
import org.carelake.core.testing.SilverRows;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SparkExtension.class)
class SensitiveGroupsTest {

  private static Map<String, Map<String, String>> byPatient(Dataset<Row> groups) {
    Map<String, Map<String, String>> out = new HashMap<>();
    for (Row r : groups.collectAsList()) {
      Map<String, String> values = new HashMap<>();
      for (String a : SensitiveGroups.ATTRIBUTES) {
        if (List.of(r.schema().fieldNames()).contains(a)) {
          values.put(a, r.getAs(a));
        }
      }
      out.put(r.getAs(PatientSchema.PATIENT_KEY), values);
    }
    return out;
  }

  @Test
  void payerTypeIsTheLatestClaimNamingAPayerByEachPatientsOwnDate(SparkSession spark) {
    SilverRows.Tables silver = new SilverRows.Tables();
    silver.claims.addAll(List.of(
        claim("c1", "switched", "Medicaid", "2015-01-01"),
        claim("c2", "switched", "Blue Cross", "2016-06-01"),     // later: wins
        claim("c3", "switched", null, "2016-09-01"),             // names no payer: not a payer type
        claim("c4", "future", "Medicare", "2019-01-01"),         // after the patient's date: not known yet
        claim("c5", "tie", "medicare ", "2016-01-01"),           // same time as c6: the lower claim key wins
        claim("c6", "tie", "NO_INSURANCE", "2016-01-01"),
        claim("c7", "on-the-day", "Dual Eligible", "2017-03-01")));
    // Each patient has its own date, as a training set's index dates are.
    Dataset<Row> rows = spark.createDataFrame(List.of(
            RowFactory.create("switched", Date.valueOf("2017-01-01")), RowFactory.create("future", Date.valueOf("2017-01-01")),
            RowFactory.create("tie", Date.valueOf("2017-01-01")), RowFactory.create("on-the-day", Date.valueOf("2017-03-01")),
            RowFactory.create("no-claim", Date.valueOf("2017-01-01"))),
        DataTypes.createStructType(List.of(DataTypes.createStructField(PatientSchema.PATIENT_KEY, DataTypes.StringType, false),
            DataTypes.createStructField("index_date", DataTypes.DateType, false))));

    Map<String, Map<String, String>> groups = byPatient(
        SensitiveGroups.DEFAULT.withPayerType(rows, col("index_date"), silver.get(spark, ClaimSchema.TABLE)));

    assertThat(groups).hasSize(5);
    assertThat(groups.get("switched")).containsEntry(SensitiveGroups.PAYER_TYPE, "private");
    assertThat(groups.get("future")).containsEntry(SensitiveGroups.PAYER_TYPE, SensitiveGroups.UNKNOWN);
    assertThat(groups.get("tie")).containsEntry(SensitiveGroups.PAYER_TYPE, "Medicare");
    assertThat(groups.get("on-the-day")).containsEntry(SensitiveGroups.PAYER_TYPE, "Medicare and Medicaid");
    assertThat(groups.get("no-claim")).containsEntry(SensitiveGroups.PAYER_TYPE, SensitiveGroups.UNKNOWN);
    assertThat(byPatient(SensitiveGroups.DEFAULT.withPayerType(rows, col("index_date"), null)).values())
        .as("no claims table: everyone unknown").allSatisfy(g -> assertThat(g).containsEntry(SensitiveGroups.PAYER_TYPE, "unknown"));
  }

  @Test
  void aConfigFileDefinesAgeBandsAndPayerTypesForEveryAttribute(SparkSession spark, @TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("bias.yaml"), "age_bands: [30, 60]\n"
        + "payer_types:\n  names: {Acme Health: commercial}\n");
    SensitiveGroups groups = SensitiveGroups.load(file);
    SilverRows.Tables silver = new SilverRows.Tables();
    silver.patients.addAll(List.of(patient("young", "male", "2000-05-01", null, "nonhispanic"),
        patient("middle", "female", "1970-05-01", "white", null), patient("old", "1950-05-01")));
    silver.claims.addAll(List.of(claim("c1", "young", "ACME HEALTH", "2019-01-01"), claim("c2", "middle", "Medicare", "2019-01-01")));

    Map<String, Map<String, String>> byPatient = byPatient(groups.ofPatients(silver.get(spark, PatientSchema.TABLE),
        silver.get(spark, ClaimSchema.TABLE), org.apache.spark.sql.functions.lit(Date.valueOf("2020-01-01"))));

    assertThat(byPatient.get("young")).containsEntry(SensitiveGroups.AGE_BAND, "under 30").containsEntry(SensitiveGroups.SEX, "male")
        .containsEntry(SensitiveGroups.RACE, "unknown").containsEntry(SensitiveGroups.PAYER_TYPE, "commercial");
    assertThat(byPatient.get("middle")).containsEntry(SensitiveGroups.AGE_BAND, "30-59")
        .containsEntry(SensitiveGroups.ETHNICITY, "unknown").as("a name the file does not list, and no 'otherwise'")
        .containsEntry(SensitiveGroups.PAYER_TYPE, "other");
    assertThat(byPatient.get("old")).containsEntry(SensitiveGroups.AGE_BAND, "60+").containsEntry(SensitiveGroups.PAYER_TYPE, "unknown");

    // What a training set records rebuilds the same groups.
    assertThat(SensitiveGroups.fromJson(groups.toJson())).isEqualTo(groups);
    assertThat(SensitiveGroups.fromJson(SensitiveGroups.DEFAULT.toJson())).isEqualTo(SensitiveGroups.DEFAULT);
    // Canonical text: a training set's id hashes it, so key order must not depend on the JVM
    // (Map.of's iteration order is salted per JVM, which once gave one training set two ids).
    assertThat(SensitiveGroups.DEFAULT.toJson()).isEqualTo("{\"attributes\":[\"sex\",\"race\",\"ethnicity\",\"age_band\","
        + "\"payer_type\"],\"age_bands\":[18,40,65],\"payer_types\":{\"names\":{\"dual eligible\":\"Medicare and Medicaid\","
        + "\"medicaid\":\"Medicaid\",\"medicare\":\"Medicare\",\"no_insurance\":\"uninsured\"},\"otherwise\":\"private\"}}");
    assertThat(SensitiveGroups.DEFAULT.ageBandLowerBounds()).containsExactly(18, 40, 65);
    assertThat(SensitiveGroups.DEFAULT.attributes()).containsExactly("sex", "race", "ethnicity", "age_band", "payer_type");
  }

  @Test
  void badAgeBandsAreAClearErrorNamingTheFile(@TempDir Path dir) throws Exception {
    for (String bands : List.of("[40, 18]", "[18, 40.5]", "eighteen", "[]")) {
      Path file = Files.writeString(dir.resolve("bias.yaml"), "age_bands: " + bands + "\n");
      assertThatThrownBy(() -> SensitiveGroups.load(file)).as(bands).isInstanceOf(CareLakeException.class)
          .hasMessageContaining(file.toString()).hasMessageContaining("age_bands").hasMessageContaining("[18, 40, 65]");
    }
  }
}
