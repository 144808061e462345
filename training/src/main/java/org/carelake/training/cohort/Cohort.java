package org.carelake.training.cohort;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A built cohort and its attrition: how many patients remained after each rule, overall and per
 * sensitive group, so reviewers see whom each rule removes.
 */
public record Cohort(CohortDefinition definition, Dataset<Row> rows, List<AttritionStep> attrition) {

  /**
   * @param byGroup attribute to group to patients remaining (true counts; reports suppress small ones)
   */
  public record AttritionStep(String rule, long patients, Map<String, Map<String, Long>> byGroup) {}
}
