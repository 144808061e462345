package org.carelake.training;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.TableId;
import org.carelake.core.schema.ClaimSchema;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.schema.MedicationRequestSchema;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.schema.PatientSchema;

/**
 * The input tables of a cohort, training set or model, each pinned to one Delta version and read
 * only at that version (time travel), so new data arriving mid-run changes nothing and a record of
 * the versions is enough to rebuild the result.
 */
public final class PinnedInputs {

  /** The silver tables cohorts, the EHR features and the sensitive groups (payer type: claims) read. */
  public static final List<TableId> EHR = List.of(PatientSchema.TABLE, EncounterSchema.TABLE, ConditionSchema.TABLE,
      ObservationSchema.TABLE, MedicationRequestSchema.TABLE, ClaimSchema.TABLE);

  /** Looks up whether a table version passed its quality checks (implemented by the pipelines side). */
  @FunctionalInterface
  public interface QualityVerdicts {
    /** The recorded verdict (PASS, WARN, FAIL) for this table at this version, or null if never checked. */
    String verdict(TableId table, long version);
  }

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final Map<TableId, Long> versions;

  private PinnedInputs(SparkSession spark, Lakehouse lakehouse, Map<TableId, Long> versions) {
    this.spark = spark;
    this.lakehouse = lakehouse;
    this.versions = versions;
  }

  /** The EHR tables plus every table a feature set reads, each once. */
  public static List<TableId> forFeatures(org.carelake.features.FeatureSet set) {
    java.util.LinkedHashSet<TableId> all = new java.util.LinkedHashSet<>(EHR);
    all.addAll(set.sourceTables());
    return List.copyOf(all);
  }

  /**
   * Pins the current version of each table, refusing (gate failure) a silver version without a
   * passing quality verdict: nothing downstream uses data that failed, or skipped, its checks. Gold
   * inputs are pinned as they are: the jobs that build them gate their own silver inputs.
   */
  public static PinnedInputs current(SparkSession spark, Lakehouse lakehouse, List<TableId> tables, QualityVerdicts verdicts) {
    Map<TableId, Long> pinned = new LinkedHashMap<>();
    for (TableId table : tables) {
      long version = lakehouse.version(spark, table).orElseThrow(() -> CareLakeException.badInput(
          "Input " + table + " does not exist in " + lakehouse.root() + ".", table.layer() == org.carelake.core.Layer.SILVER
              ? "ingest data first: ./carelake ingest fhir --input PATH"
              : "run the step that builds it first, or choose a feature set that does not read it (./carelake features list)."));
      String verdict = table.layer() == org.carelake.core.Layer.SILVER ? verdicts.verdict(table, version) : "PASS";
      if (verdict == null || verdict.equals("FAIL")) {
        throw CareLakeException.gateFailed("Input " + table + " at Delta version " + version
                + (verdict == null ? " has no quality verdict" : " failed its quality checks")
                + "; cohorts, training sets and models only use checked data.",
            "run ./carelake quality run and fix any failing error-level checks.");
      }
      pinned.put(table, version);
    }
    return new PinnedInputs(spark, lakehouse, pinned);
  }

  /** Pins recorded versions (a rebuild); fails clearly when a version is no longer readable. */
  public static PinnedInputs recorded(SparkSession spark, Lakehouse lakehouse, Map<String, Long> versions) {
    Map<TableId, Long> pinned = new LinkedHashMap<>();
    versions.forEach((name, version) -> {
      TableId table = TableId.parse(name);
      long current = lakehouse.version(spark, table).orElseThrow(() -> CareLakeException.badInput(
          "Recorded input " + name + " no longer exists in " + lakehouse.root() + ".", "restore the table; a rebuild needs it."));
      if (version > current) {
        throw CareLakeException.badInput("Recorded input " + name + " version " + version + " is newer than the table (" + current + ").",
            "rebuild against the lakehouse the record was made in.");
      }
      pinned.put(table, version);
    });
    return new PinnedInputs(spark, lakehouse, pinned);
  }

  public Dataset<Row> read(TableId table) {
    Long version = versions.get(table);
    if (version == null) {
      throw new IllegalArgumentException(table + " is not a pinned input (pinned: " + versions.keySet() + ")");
    }
    return lakehouse.readAt(spark, table, version);
  }

  /** Qualified table name to pinned version, in pin order. */
  public Map<String, Long> versions() {
    Map<String, Long> out = new LinkedHashMap<>();
    versions.forEach((t, v) -> out.put(t.qualifiedName(), v));
    return out;
  }
}
