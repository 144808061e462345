package org.carelake.training;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.DeltaWriter;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.SensitiveGroups;
import org.carelake.core.TableWrite;
import org.carelake.core.report.Reports;
import org.carelake.training.cohort.AttritionReport;
import org.carelake.training.cohort.Cohort;
import org.carelake.training.cohort.CohortBuilder;
import org.carelake.training.cohort.CohortDefinition;
import org.carelake.training.cohort.CohortSchema;

/**
 * {@code cohort build}: compiles a cohort definition over quality-checked, pinned silver tables,
 * writes {@code gold.cohort_<name>} and the attrition report (overall and per sensitive group).
 */
public final class CohortJob {

  /** What the build did. */
  public record Result(Cohort cohort, TableWrite write, Reports.Written attritionReport, Map<String, Long> inputVersions) {}

  private final SparkSession spark;
  private final Lakehouse lakehouse;

  public CohortJob(SparkSession spark, Lakehouse lakehouse) {
    this.spark = spark;
    this.lakehouse = lakehouse;
  }

  public Result run(CohortDefinition definition, PinnedInputs.QualityVerdicts verdicts, SensitiveGroups groups) {
    PinnedInputs inputs = PinnedInputs.current(spark, lakehouse, PinnedInputs.EHR, verdicts);
    Cohort cohort = new CohortBuilder(inputs::read, groups).build(definition);
    TableWrite write;
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      write = new DeltaWriter(spark, lakehouse, tx).replace(cohort.rows().orderBy(CohortSchema.PATIENT_KEY),
          TrainingSets.cohortTable(definition));
      tx.commit();
    }
    return new Result(cohort, write, writeReport(lakehouse, cohort, inputs.versions()), inputs.versions());
  }

  /** Writes {@code reports/cohorts/<name>-attrition.html|json}. */
  public static Reports.Written writeReport(Lakehouse lakehouse, Cohort cohort, Map<String, Long> inputVersions) {
    Map<String, Object> context = new LinkedHashMap<>();
    context.put("input Delta versions", inputVersions);
    return AttritionReport.write(lakehouse.reportsDir().resolve("cohorts"), cohort, context);
  }
}
