package org.carelake.training.cohort;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A built cohort and its attrition: how many patients remained after each rule, so reviewers see
 * whom each rule removes.
 */
public record Cohort(CohortDefinition definition, Dataset<Row> rows, List<AttritionStep> attrition) {

  public record AttritionStep(String rule, long patients) {}
}
