package org.carelake.training.cohort;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Date;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.TableId;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.schema.MedicationRequestSchema;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.schema.PatientSchema;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SparkExtension.class)
class CohortBuilderTest {

  private static final String SNOMED = "http://snomed.info/sct";

  private static Timestamp t(String date) {
    return Timestamp.valueOf(date + " 12:00:00");
  }

  private static Row patient(String key, String birth) {
    return RowFactory.create(key, "female", Date.valueOf(birth), null, null, null, null, null, "MA", "021", null, null, "h", "r");
  }

  private static Row condition(String key, String patient, String code, String onset) {
    return RowFactory.create(key, patient, null, SNOMED, code, null, "active", null, t(onset), null, null, null, null, "h", "r");
  }

  private static Row encounter(String key, String patient, String start) {
    return RowFactory.create(key, patient, "finished", "AMB", SNOMED, "162673000", "exam", t(start), t(start), null, null, "h", "r");
  }

  @Test
  void indexWashoutAndTimeAtRiskFollowTheDefinition(SparkSession spark) {
    Map<TableId, Dataset<Row>> tables = new HashMap<>();
    List<Row> patients = List.of(
        patient("adult-outcome", "1960-01-01"),   // prediabetes 2016, T2D 2017: label 1
        patient("adult-late", "1960-01-01"),      // prediabetes 2016, T2D 2021 (after 3 years): label 0
        patient("adult-washout", "1960-01-01"),   // T2D 2010 before index: excluded by washout
        patient("child", "2010-01-01"),           // prediabetes at age 6: excluded by age
        patient("no-entry", "1960-01-01"));
    List<Row> conditions = new ArrayList<>(List.of(
        condition("c1", "adult-outcome", "15777000", "2016-01-01"), condition("c2", "adult-outcome", "44054006", "2017-01-01"),
        condition("c3", "adult-late", "15777000", "2016-01-01"), condition("c4", "adult-late", "44054006", "2021-01-01"),
        condition("c5", "adult-washout", "44054006", "2010-01-01"), condition("c6", "adult-washout", "15777000", "2016-01-01"),
        condition("c7", "child", "15777000", "2016-01-01")));
    tables.put(PatientSchema.TABLE, spark.createDataFrame(patients, PatientSchema.SCHEMA));
    tables.put(ConditionSchema.TABLE, spark.createDataFrame(conditions, ConditionSchema.SCHEMA));
    tables.put(EncounterSchema.TABLE, spark.createDataFrame(List.of(encounter("e1", "adult-outcome", "2014-01-01")), EncounterSchema.SCHEMA));
    tables.put(ObservationSchema.TABLE, spark.createDataFrame(List.of(), ObservationSchema.SCHEMA));
    tables.put(MedicationRequestSchema.TABLE, spark.createDataFrame(List.of(), MedicationRequestSchema.SCHEMA));

    CohortDefinition def = CohortDefinition.parse(CohortDefinitionTest.VALID, "t.yaml");
    // Entry is prediabetes; outcome is type 2 diabetes within 1095 days.
    Cohort cohort = new CohortBuilder(tables::get).build(def);
    Map<String, Double> labels = new HashMap<>();
    for (Row r : cohort.rows().collectAsList()) {
      labels.put(r.getAs(CohortSchema.PATIENT_KEY), r.getAs(CohortSchema.OUTCOME_LABEL));
    }
    assertThat(labels).containsOnly(Map.entry("adult-outcome", 1.0), Map.entry("adult-late", 0.0));
    assertThat(cohort.attrition()).extracting(Cohort.AttritionStep::patients).containsExactly(5L, 4L, 3L, 2L);
  }
}
