package org.carelake.pipelines.quality;

import com.amazon.deequ.checks.Check;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.carelake.core.TableId;

/**
 * The checks of one table. {@code prepare} may add derived columns the checks need (e.g. whether a
 * row's patient_key exists in silver.patient), so all checks of a table still run in one Deequ pass.
 * {@code anomalies} are metrics compared with the table's earlier runs in the metrics repository.
 */
public record TableSuite(TableId table, Function<Dataset<Row>, Dataset<Row>> prepare, List<Check> checks,
    List<SuiteFile.AnomalySpec> anomalies, String key, List<QuarantineRule> quarantine) {
  public TableSuite {
    checks = List.copyOf(checks);
    anomalies = List.copyOf(anomalies);
    quarantine = List.copyOf(quarantine);
  }

  /** A rule of a check with action quarantine: rows that do not satisfy {@code passes} leave the table. */
  public record QuarantineRule(String name, String passes) {}
}
