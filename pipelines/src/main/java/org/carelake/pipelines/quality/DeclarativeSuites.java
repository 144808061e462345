package org.carelake.pipelines.quality;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.unix_timestamp;

import com.amazon.deequ.checks.Check;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.TableId;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.schema.GenomicSchema;
import org.carelake.core.schema.MedicationRequestSchema;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.schema.PatientSchema;
import org.carelake.core.schema.WearableMeasurementSchema;

/**
 * Check suites declared in YAML ({@link SuiteFile}), one file per table: the built-in ones shipped
 * beside this class (under version control in {@code pipelines/src/main/resources}) and any in a
 * folder given by the operator, which replace a built-in suite of the same table. All files are
 * parsed and validated before any Spark job; then each table's rules become Deequ checks run in
 * one {@code VerificationSuite} pass (scan-shareable metrics in one scan).
 */
public final class DeclarativeSuites {

  /** The shipped suites, one per table. */
  public static final List<String> BUILT_IN = List.of("silver.patient.yaml", "silver.encounter.yaml", "silver.condition.yaml",
      "silver.medication_request.yaml", "silver.observation.yaml", "silver.claim.yaml", "silver.wearable_measurement.yaml",
      "silver.genotype.yaml",
      "gold.patient_summary.yaml", "gold.wearable_daily.yaml", "gold.prs.yaml", "gold.pgx_marker.yaml");

  /** The tables a suite may name, with their columns (validation needs no Spark job). */
  public static final Map<TableId, StructType> SCHEMAS = Map.ofEntries(
      Map.entry(PatientSchema.TABLE, PatientSchema.SCHEMA),
      Map.entry(EncounterSchema.TABLE, EncounterSchema.SCHEMA),
      Map.entry(ConditionSchema.TABLE, ConditionSchema.SCHEMA),
      Map.entry(MedicationRequestSchema.TABLE, MedicationRequestSchema.SCHEMA),
      Map.entry(ObservationSchema.TABLE, ObservationSchema.SCHEMA),
      Map.entry(org.carelake.core.schema.ClaimSchema.TABLE, org.carelake.core.schema.ClaimSchema.SCHEMA),
      Map.entry(WearableMeasurementSchema.TABLE, WearableMeasurementSchema.SCHEMA),
      Map.entry(GenomicSchema.GENOTYPE, GenomicSchema.GENOTYPE_SCHEMA),
      Map.entry(GenomicSchema.VARIANT, GenomicSchema.VARIANT_SCHEMA),
      Map.entry(org.carelake.core.schema.PatientSummarySchema.TABLE, org.carelake.core.schema.PatientSummarySchema.SCHEMA),
      Map.entry(org.carelake.core.schema.WearableDailySchema.TABLE, org.carelake.core.schema.WearableDailySchema.SCHEMA),
      Map.entry(org.carelake.core.schema.GenomicResultSchema.PRS, org.carelake.core.schema.GenomicResultSchema.PRS_SCHEMA),
      Map.entry(org.carelake.core.schema.GenomicResultSchema.PGX_MARKER, org.carelake.core.schema.GenomicResultSchema.PGX_SCHEMA));

  private DeclarativeSuites() {}

  /** The built-in suites, with those in {@code folder} (may be null) replacing or adding per table. */
  public static List<SuiteFile> load(Path folder) {
    Map<TableId, SuiteFile> byTable = new LinkedHashMap<>();
    for (String name : BUILT_IN) {
      try (Reader r = new InputStreamReader(DeclarativeSuites.class.getResourceAsStream("suites/" + name), StandardCharsets.UTF_8)) {
        SuiteFile suite = SuiteFile.read(r, "suites/" + name + " (built in)", SCHEMAS);
        byTable.put(suite.table(), suite);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (folder != null) {
      if (!Files.isDirectory(folder)) {
        throw CareLakeException.badInput("Check suite folder " + folder + " does not exist.", "pass --suites a folder of *.yaml suites.");
      }
      try (Stream<Path> files = Files.list(folder)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList()) {
          SuiteFile suite = SuiteFile.read(f, SCHEMAS);
          byTable.put(suite.table(), suite);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return List.copyOf(byTable.values());
  }

  /** The suites whose tables exist, as Deequ checks. */
  public static List<TableSuite> build(SparkSession spark, Lakehouse lakehouse, List<SuiteFile> suites) {
    List<TableSuite> out = new ArrayList<>();
    for (SuiteFile suite : suites) {
      if (lakehouse.exists(suite.table())) {
        out.add(build(spark, lakehouse, suite));
      }
    }
    return out;
  }

  static TableSuite build(SparkSession spark, Lakehouse lakehouse, SuiteFile suite) {
    List<Check> checks = new ArrayList<>();
    String patientJoin = null;
    boolean lifeDates = false;
    List<String> freshness = new ArrayList<>();
    List<TableSuite.QuarantineRule> quarantine = new ArrayList<>();
    for (SuiteFile.CheckSpec spec : suite.checks()) {
      Check check = Deequ.check(spec.action() == SuiteFile.Action.FAIL ? Severity.ERROR : Severity.WARNING,
          "[" + spec.severity() + "] " + spec.name());
      for (SuiteFile.Rule rule : spec.rules()) {
        String c = rule.column();
        if (rule.kind().equals("patient_exists")) {
          patientJoin = c;
        }
        if (rule.kind().equals("not_before_birth") || rule.kind().equals("not_after_death")) {
          lifeDates = true;
        }
        if (spec.action() == SuiteFile.Action.QUARANTINE) {
          RowRule r = rowRule(rule);
          quarantine.add(new TableSuite.QuarantineRule("[" + spec.severity() + "] " + spec.name() + ": " + r.name(), r.passes()));
          check = Deequ.allSatisfy(check, r.passes(), r.name());
          continue;
        }
        Double min = (Double) rule.args().get("min");
        Double max = (Double) rule.args().get("max");
        switch (rule.kind()) {
          case "row_count" -> check = Deequ.rowCount(check, min, max);
          case "complete" -> check = Deequ.complete(check, c);
          case "unique" -> check = Deequ.unique(check, c);
          case "complete_per_group" -> {
            String group = (String) rule.args().get("group");
            for (Object value : (List<?>) rule.args().get("values")) {
              check = Deequ.completeWhere(check, c, min == null ? 1.0 : min, group + " = '" + value.toString().replace("'", "''") + "'");
            }
          }
          case "allowed_values" -> check = Deequ.containedIn(check, c, ((List<?>) rule.args().get("values")).stream()
              .map(Object::toString).toArray(String[]::new));
          case "range", "patient_exists", "not_before_birth", "not_after_death", "not_in_future" -> {
            RowRule r = rowRule(rule);
            check = Deequ.allSatisfy(check, r.passes(), r.name());
          }
          case "physiological_ranges" -> {
            for (SilverSuites.VitalRange range : SilverSuites.VITAL_RANGES) {
              check = Deequ.allSatisfy(check, SilverSuites.rangePredicate(range), String.format(Locale.ROOT, "%s (LOINC %s) within %s-%s %s",
                  range.name(), range.loinc(), bound(range.min()), bound(range.max()), range.unit()));
            }
          }
          case "expected_units" -> {
            for (String loinc : SilverSuites.VITAL_RANGES.stream().map(SilverSuites.VitalRange::loinc).distinct().toList()) {
              check = Deequ.allSatisfy(check, SilverSuites.unitPredicate(loinc), "LOINC " + loinc + " recorded in "
                  + SilverSuites.VITAL_RANGES.stream().filter(r -> r.loinc().equals(loinc)).map(SilverSuites.VitalRange::unit).toList());
            }
          }
          case "freshness" -> {
            freshness.add(c);
            double days = (Double) rule.args().get("max_age_days");
            check = Deequ.maxAtLeast(check, "_epoch_" + c, Instant.now().getEpochSecond() - days * 86_400,
                "newest " + c + " within " + bound(days) + " days");
          }
          default -> throw new IllegalStateException("rule kind " + rule.kind());
        }
      }
      checks.add(check);
    }
    return new TableSuite(suite.table(), prepare(spark, lakehouse, patientJoin, lifeDates, freshness), checks, suite.anomalies(),
        suite.key(), quarantine);
  }

  /** A row-level rule as a name and the SQL predicate a passing row satisfies. */
  record RowRule(String name, String passes) {}

  static RowRule rowRule(SuiteFile.Rule rule) {
    String c = rule.column();
    Double min = (Double) rule.args().get("min");
    Double max = (Double) rule.args().get("max");
    return switch (rule.kind()) {
      case "complete" -> new RowRule(c + " is complete", c + " IS NOT NULL");
      case "allowed_values" -> {
        List<String> values = ((List<?>) rule.args().get("values")).stream().map(v -> v.toString().replace("'", "''")).toList();
        yield new RowRule(c + " in " + values, c + " IS NULL OR " + c + " IN ('" + String.join("', '", values) + "')");
      }
      case "range" -> {
        String where = (String) rule.args().get("where");
        yield new RowRule(c + " within [" + bound(min) + ", " + bound(max) + "]" + (where == null ? "" : " where " + where),
            (where == null ? "" : "NOT coalesce(" + where + ", false) OR ") + c + " IS NULL OR (" + (min == null ? "true" : c + " >= " + min)
                + " AND " + (max == null ? "true" : c + " <= " + max) + ")");
      }
      case "patient_exists" -> new RowRule("every " + c + " exists in silver.patient", SilverSuites.PATIENT_KNOWN);
      case "not_before_birth" -> new RowRule(c + " not before birth", c + " IS NULL OR _birth IS NULL OR to_date(" + c + ") >= _birth");
      // a day's grace: a death certificate may be recorded on the day after the time of death
      case "not_after_death" -> new RowRule(c + " not after death", c + " IS NULL OR _death IS NULL OR " + c + " <= _death + INTERVAL 1 DAY");
      case "not_in_future" -> new RowRule(c + " not in the future", c + " IS NULL OR " + c + " <= current_timestamp()");
      default -> throw new IllegalStateException(rule.kind() + " is not a row-level rule");
    };
  }

  /** The derived columns the rules need: one join with silver.patient at most, epoch seconds for freshness. */
  private static Function<Dataset<Row>, Dataset<Row>> prepare(SparkSession spark, Lakehouse lakehouse, String patientColumn,
      boolean lifeDates, List<String> freshness) {
    return rows -> {
      Dataset<Row> out = rows;
      if (patientColumn != null || lifeDates) {
        String on = patientColumn != null ? patientColumn : PatientSchema.PATIENT_KEY;
        // No silver.patient yet (e.g. genomic or wearable data before any EHR): no patient is known.
        Dataset<Row> source = lakehouse.exists(PatientSchema.TABLE) ? lakehouse.read(spark, PatientSchema.TABLE)
            : spark.createDataFrame(List.of(), PatientSchema.SCHEMA);
        Dataset<Row> patients = source.select(col(PatientSchema.PATIENT_KEY).as("_pk"),
            col(PatientSchema.BIRTH_DATE).as("_birth"), col(PatientSchema.DECEASED_TIME).as("_death")).dropDuplicates("_pk");
        out = out.join(patients, out.col(on).equalTo(col("_pk")), "left").withColumn(SilverSuites.PATIENT_KNOWN, col("_pk").isNotNull())
            .drop("_pk");
      }
      for (String c : freshness) {
        out = out.withColumn("_epoch_" + c, unix_timestamp(col(c)));
      }
      return out;
    };
  }

  private static String bound(Double v) {
    if (v == null) {
      return "-";
    }
    return v == Math.rint(v) ? Long.toString(v.longValue()) : v.toString();
  }
}
