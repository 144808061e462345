package org.carelake.training.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.carelake.core.testing.SilverRows.claim;
import static org.carelake.core.testing.SilverRows.condition;
import static org.carelake.core.testing.SilverRows.encounter;
import static org.carelake.core.testing.SilverRows.medication;
import static org.carelake.core.testing.SilverRows.observation;
import static org.carelake.core.testing.SilverRows.patient;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.SensitiveGroups;
import org.carelake.core.testing.SilverRows;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SparkExtension.class)
class CohortBuilderTest {

  private static Map<String, Double> labels(Cohort cohort) {
    Map<String, Double> labels = new HashMap<>();
    for (Row r : cohort.rows().collectAsList()) {
      labels.put(r.getAs(CohortSchema.PATIENT_KEY), r.getAs(CohortSchema.OUTCOME_LABEL));
    }
    return labels;
  }

  @Test
  void indexWashoutAndTimeAtRiskFollowTheDefinition(SparkSession spark) {
    SilverRows.Tables silver = new SilverRows.Tables();
    silver.patients.addAll(List.of(
        patient("adult-outcome", "1960-01-01"),   // prediabetes 2016, T2D 2017: label 1
        patient("adult-late", "1960-01-01"),      // prediabetes 2016, T2D 2021 (after 3 years): label 0
        patient("adult-washout", "1960-01-01"),   // T2D 2010 before index: excluded by washout
        patient("child", "2010-01-01"),           // prediabetes at age 6: excluded by age
        patient("no-entry", "1960-01-01")));
    silver.conditions.addAll(List.of(
        condition("c1", "adult-outcome", "15777000", "2016-01-01"), condition("c2", "adult-outcome", "44054006", "2017-01-01"),
        condition("c3", "adult-late", "15777000", "2016-01-01"), condition("c4", "adult-late", "44054006", "2021-01-01"),
        condition("c5", "adult-washout", "44054006", "2010-01-01"), condition("c6", "adult-washout", "15777000", "2016-01-01"),
        condition("c7", "child", "15777000", "2016-01-01")));
    silver.encounters.add(encounter("e1", "adult-outcome", "162673000", "2014-01-01"));

    CohortDefinition def = CohortDefinition.parse(CohortDefinitionTest.VALID, "t.yaml");
    // Entry is prediabetes; outcome is type 2 diabetes within 1095 days.
    Cohort cohort = new CohortBuilder(t -> silver.get(spark, t)).build(def);
    assertThat(labels(cohort)).containsOnly(Map.entry("adult-outcome", 1.0), Map.entry("adult-late", 0.0));
    assertThat(cohort.attrition()).extracting(Cohort.AttritionStep::patients).containsExactly(5L, 4L, 3L, 2L);
  }

  @Test
  void inclusionAndExclusionRulesUseOnlyTheirWindowAndAttritionIsCountedPerGroup(SparkSession spark) {
    SilverRows.Tables silver = new SilverRows.Tables();
    // Everyone enters with prediabetes on 2016-01-01.
    String[] keys = {"bmi-high", "bmi-low", "bmi-too-old", "bmi-after-index", "on-metformin", "metformin-later"};
    for (int i = 0; i < keys.length; i++) {
      silver.patients.add(patient(keys[i], i % 2 == 0 ? "female" : "male", "1960-01-01", i < 3 ? "white" : "black", "nonhispanic"));
      silver.conditions.add(condition("c" + i, keys[i], "15777000", "2016-01-01"));
    }
    silver.observations.addAll(List.of(
        observation("o1", "bmi-high", "39156-5", 31.0, "kg/m2", "2015-06-01"),
        observation("o2", "bmi-low", "39156-5", 22.0, "kg/m2", "2015-06-01"),
        observation("o3", "bmi-too-old", "39156-5", 31.0, "kg/m2", "2012-01-01"),      // outside the 730-day window
        observation("o4", "bmi-after-index", "39156-5", 31.0, "kg/m2", "2016-01-02"),  // after index: not known then
        observation("o5", "on-metformin", "39156-5", 33.0, "kg/m2", "2015-12-01"),
        observation("o6", "metformin-later", "39156-5", 33.0, "kg/m2", "2015-12-01")));
    // Payer types are taken at the study period's end (2020-12-31), like the age band.
    silver.claims.addAll(List.of(
        claim("cl1", "bmi-high", "Medicaid", "2015-01-01"), claim("cl2", "bmi-high", "Medicare", "2020-12-31"),
        claim("cl3", "bmi-low", "Medicaid", "2016-01-01"), claim("cl4", "metformin-later", "Medicaid", "2021-01-01")));
    silver.medications.addAll(List.of(
        medication("m1", "on-metformin", "860975", "2015-01-01"),
        medication("m2", "metformin-later", "860975", "2017-01-01")));  // after index: does not exclude
    String rules = CohortDefinitionTest.VALID + CohortDefinitionTest.RULE + """
        exclusion:
          - name: on metformin
            table: medication_request
            concepts: {system: http://www.nlm.nih.gov/research/umls/rxnorm, codes: ["860975"]}
            window: {start_days: -3650, end_days: 0}
        """;

    Cohort cohort = new CohortBuilder(t -> silver.get(spark, t), SensitiveGroups.DEFAULT).build(CohortDefinition.parse(rules, "t.yaml"));
    assertThat(labels(cohort).keySet()).containsExactlyInAnyOrder("bmi-high", "metformin-later");
    assertThat(cohort.attrition()).extracting(Cohort.AttritionStep::rule)
        .anySatisfy(r -> assertThat(r).startsWith("include: overweight"))
        .anySatisfy(r -> assertThat(r).startsWith("exclude: on metformin"));
    assertThat(cohort.attrition()).extracting(Cohort.AttritionStep::patients).containsExactly(6L, 6L, 6L, 3L, 2L, 2L);
    Cohort.AttritionStep overweight = cohort.attrition().get(3);
    assertThat(overweight.byGroup().get(SensitiveGroups.RACE)).containsOnly(Map.entry("white", 1L), Map.entry("black", 2L));
    assertThat(overweight.byGroup().get(SensitiveGroups.SEX)).containsOnly(Map.entry("female", 2L), Map.entry("male", 1L));
    Cohort.AttritionStep start = cohort.attrition().get(0);
    assertThat(start.byGroup().get(SensitiveGroups.AGE_BAND)).as("age at the study period's end (2020-12-31)")
        .containsOnly(Map.entry("40-64", 6L));
    assertThat(start.byGroup().get(SensitiveGroups.ETHNICITY)).containsOnly(Map.entry("nonhispanic", 6L));
    assertThat(start.byGroup().get(SensitiveGroups.PAYER_TYPE)).as("latest claim by the study period's end; a later one does not count")
        .containsOnly(Map.entry("Medicare", 1L), Map.entry("Medicaid", 1L), Map.entry("unknown", 4L));
    assertThat(cohort.attrition().get(cohort.attrition().size() - 1).byGroup().get(SensitiveGroups.PAYER_TYPE))
        .containsOnly(Map.entry("Medicare", 1L), Map.entry("unknown", 1L));
  }
}
