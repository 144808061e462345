package org.carelake.training.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.carelake.core.CareLakeException;
import org.junit.jupiter.api.Test;

public class CohortDefinitionTest {

  public static final String VALID = """
      name: test-cohort
      description: test
      entry: {table: condition, concepts: {system: http://snomed.info/sct, codes: ["15777000"]}}
      study_period: {start: 2015-01-01, end: 2020-12-31}
      age_at_index: {min: 18, max: 120}
      prior_observation_days: 0
      outcome: {concepts: {system: http://snomed.info/sct, codes: ["44054006"]}, washout: true}
      time_at_risk: {start_days: 1, end_days: 1095}
      """;

  @Test
  void shippedDefinitionsLoad() {
    for (String file : new String[] {"incident-dysglycemia-3y.yaml", "hypertension-cardiovascular-5y.yaml", "incident-hypertension-5y.yaml"}) {
      CohortDefinition def = CohortDefinition.load(Path.of("cohorts", file));
      assertThat(def.sourceHash()).hasSize(64);
      assertThat(def.timeAtRisk().endDays()).isGreaterThan(def.timeAtRisk().startDays());
    }
  }

  @Test
  void invalidDefinitionsFailBeforeAnySparkJobWithTheProblemNamed() {
    assertThat(CohortDefinition.parse(VALID, "t.yaml").name()).isEqualTo("test-cohort");
    assertThatThrownBy(() -> CohortDefinition.parse(VALID.replace("http://snomed.info/sct, codes: [\"15777000\"]",
        "http://example.org/codes, codes: [\"1\"]"), "t.yaml"))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("t.yaml").hasMessageContaining("not a known code system");
    assertThatThrownBy(() -> CohortDefinition.parse(VALID.replace("end_days: 1095", "end_days: 0"), "t.yaml"))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("time_at_risk");
    assertThatThrownBy(() -> CohortDefinition.parse(VALID.replace("outcome:", "outcomez:"), "t.yaml"))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("line").hasMessageContaining("outcomez");
    assertThatThrownBy(() -> CohortDefinition.parse(VALID.replace("end: 2020-12-31", "end: 2010-12-31"), "t.yaml"))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("study_period ends");
    assertThatThrownBy(() -> CohortDefinition.parse(VALID.replace("prior_observation_days: 0\n", ""), "t.yaml"))
        .as("a missing required field").isInstanceOf(CareLakeException.class).hasMessageContaining("prior_observation_days");
  }

  static final String RULE = """
      inclusion:
        - name: overweight
          table: observation
          concepts: {system: http://loinc.org, codes: ["39156-5"]}
          window: {start_days: -730, end_days: 0}
          value: {min: 25}
      """;

  @Test
  void inclusionAndExclusionRulesAreValidatedLikeTheRest() {
    CohortDefinition def = CohortDefinition.parse(VALID + RULE, "t.yaml");
    assertThat(def.inclusion()).singleElement().satisfies(r -> {
      assertThat(r.window().startDays()).isEqualTo(-730);
      assertThat(r.value().min()).isEqualTo(25.0);
    });
    assertThat(def.exclusion()).isEmpty();
    assertThat(def.sourceText()).contains("overweight");
    assertThatThrownBy(() -> CohortDefinition.parse(VALID + RULE.replace("end_days: 0", "end_days: 30"), "t.yaml"))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("inclusion[0].window ends 30 days after index");
    assertThatThrownBy(() -> CohortDefinition.parse(VALID + RULE.replace("start_days: -730", "start_days: 10"), "t.yaml"))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("starts (10) after it ends (0)");
    assertThatThrownBy(() -> CohortDefinition.parse(VALID + RULE.replace("table: observation", "table: condition"), "t.yaml"))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("value only applies to observation rules");
    assertThatThrownBy(() -> CohortDefinition.parse(VALID + RULE.replace("http://loinc.org", "LOINC"), "t.yaml"))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("inclusion[0].concepts.system 'LOINC' is not a known code system");
    assertThatThrownBy(() -> CohortDefinition.parse(VALID + RULE.replace("    window: {start_days: -730, end_days: 0}\n", ""), "t.yaml"))
        .isInstanceOf(CareLakeException.class).hasMessageContaining("inclusion[0].window needs start_days and end_days");
  }
}
