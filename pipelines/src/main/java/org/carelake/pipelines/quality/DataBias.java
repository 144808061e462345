package org.carelake.pipelines.quality;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.CareLakeException;
import org.carelake.core.Lakehouse;
import org.carelake.core.SensitiveGroups;
import org.carelake.core.Suppression;
import org.carelake.core.TableId;
import org.carelake.core.report.Html;
import org.carelake.core.report.Reports;
import org.carelake.core.schema.ClaimSchema;
import org.carelake.core.schema.PatientSchema;

/**
 * Data bias of the lakehouse, computed in Spark on the full tables before any model: for each
 * sensitive attribute (the shared {@link SensitiveGroups}: sex, race, ethnicity, age band, payer
 * type) and each pairwise intersection, one grouping-sets aggregation gives
 *
 * <ul>
 *   <li>representation: the group's share of patients against a reference distribution (ratio,
 *       flagged below {@code flag_ratio});
 *   <li>coverage (missingness): the share of the group's patients with at least one row of each
 *       configured indicator (HbA1c, BMI, smoking status, wearable data, genotype...), and its
 *       ratio to the best-covered group of the attribute;
 *   <li>outcome prevalence of an optional label column (e.g. a cohort's outcome).
 * </ul>
 * Counts of 1 to 10 are shown as {@code <11} and rates that would reveal one (its complement too)
 * are withheld; groups under {@code min_group} patients read "insufficient data".
 */
public final class DataBias {

  static final String INSUFFICIENT = "insufficient data";

  /** The configuration ({@code bias.yaml}): report settings, and the sensitive groups it shares with cohorts and models. */
  public record Config(int minGroup, double flagRatio, Map<String, Map<String, Double>> reference, Map<String, Coverage> coverage,
      SensitiveGroups groups) {}

  public record Coverage(TableId table, String where) {}

  private final SparkSession spark;
  private final Lakehouse lakehouse;

  public DataBias(SparkSession spark, Lakehouse lakehouse) {
    this.spark = spark;
    this.lakehouse = lakehouse;
  }

  /** The built-in configuration, or {@code file}'s. */
  public static Config config(Path file) {
    SensitiveGroups.ConfigFile configFile = SensitiveGroups.ConfigFile.read(file);
    String source = configFile.source();
    JsonNode root = configFile.root();
    Map<String, Map<String, Double>> reference = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("reference").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Map<String, Double> shares = new LinkedHashMap<>();
      e.getValue().fields().forEachRemaining(s -> shares.put(s.getKey(), s.getValue().asDouble()));
      reference.put(e.getKey(), shares);
    }
    Map<String, Coverage> coverage = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("coverage").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String[] table = e.getValue().path("table").asText("").split("\\.");
      if (table.length != 2) {
        throw CareLakeException.badInput("The bias configuration " + source + ": coverage '" + e.getKey() + "' needs table: <layer>.<name>.",
            "e.g. table: silver.observation.");
      }
      coverage.put(e.getKey(), new Coverage(new TableId(org.carelake.core.Layer.valueOf(table[0].toUpperCase(Locale.ROOT)), table[1]),
          e.getValue().hasNonNull("where") ? e.getValue().get("where").asText() : null));
    }
    return new Config(root.path("min_group").asInt(30), root.path("flag_ratio").asDouble(0.8), reference, coverage,
        SensitiveGroups.of(configFile));
  }

  /** One group's row of the report. */
  public record Group(String attribute, String value, long patients, String patientsShown, Double share, Double referenceShare,
      Double representationRatio, boolean underRepresented, Map<String, Object> coverage, Object prevalence, String note) {}

  /** The report's content (also its JSON). */
  public record Report(LocalDate asOf, long patients, String label, List<Group> groups, List<Group> intersections,
      Map<String, Map<String, Double>> bestCoverage, List<String> flags) {}

  /**
   * @param label optional {@code <layer>.<table>.<column>} of a 0/1 outcome keyed by patient_key
   */
  public Report compute(Config config, LocalDate asOf, String label) {
    Dataset<Row> patients = config.groups().ofPatients(lakehouse.read(spark, PatientSchema.TABLE),
        lakehouse.exists(ClaimSchema.TABLE) ? lakehouse.read(spark, ClaimSchema.TABLE) : null, lit(Date.valueOf(asOf)));
    for (Map.Entry<String, Coverage> c : config.coverage().entrySet()) {
      String flag = "_cov_" + c.getKey();
      if (!lakehouse.exists(c.getValue().table())) {
        patients = patients.withColumn(flag, lit(false));
        continue;
      }
      Dataset<Row> rows = lakehouse.read(spark, c.getValue().table());
      if (c.getValue().where() != null) {
        rows = rows.where(c.getValue().where());
      }
      Dataset<Row> covered = rows.select(col("patient_key").as("_cov")).distinct();
      patients = patients.join(covered, col(PatientSchema.PATIENT_KEY).equalTo(col("_cov")), "left")
          .withColumn(flag, col("_cov").isNotNull()).drop("_cov");
    }
    if (label != null) {
      int dot = label.lastIndexOf('.');
      String[] table = label.substring(0, dot).split("\\.");
      TableId labelTable = new TableId(org.carelake.core.Layer.valueOf(table[0].toUpperCase(Locale.ROOT)), table[1]);
      if (!lakehouse.exists(labelTable)) {
        throw CareLakeException.badInput("The label table " + labelTable + " does not exist.", "build the cohort first, or drop --label.");
      }
      Dataset<Row> labelRows = lakehouse.read(spark, labelTable);
      String column = label.substring(dot + 1);
      if (!List.of(labelRows.columns()).contains(column) || !List.of(labelRows.columns()).contains("patient_key")) {
        throw CareLakeException.badInput("The label " + label + " is not a column of " + labelTable + " keyed by patient_key.",
            "use one of " + List.of(labelRows.columns()) + ", e.g. --label " + labelTable + ".outcome_label.");
      }
      Dataset<Row> labels = labelRows.groupBy("patient_key")
          .agg(org.apache.spark.sql.functions.max(col(label.substring(dot + 1)).cast("int")).as("_label"));
      patients = patients.join(labels.withColumnRenamed("patient_key", "_lk"), col(PatientSchema.PATIENT_KEY).equalTo(col("_lk")), "left")
          .drop("_lk");
    } else {
      patients = patients.withColumn("_label", lit(null).cast("int"));
    }
    List<String> attributes = config.groups().attributes();
    patients.createOrReplaceTempView("_bias_patients");
    List<String> sets = new ArrayList<>();
    for (int i = 0; i < attributes.size(); i++) {
      sets.add("(" + attributes.get(i) + ")");
      for (int j = i + 1; j < attributes.size(); j++) {
        sets.add("(" + attributes.get(i) + ", " + attributes.get(j) + ")");
      }
    }
    sets.add("()");
    StringBuilder aggregates = new StringBuilder("count(*) AS n, count(_label) AS labeled, sum(_label) AS positives");
    for (String c : config.coverage().keySet()) {
      aggregates.append(", sum(CASE WHEN _cov_").append(c).append(" THEN 1 ELSE 0 END) AS cov_").append(c);
    }
    String sql = "SELECT " + String.join(", ", attributes.stream().map(a -> "grouping(" + a + ") AS g_" + a).toList()) + ", "
        + String.join(", ", attributes) + ", " + aggregates + " FROM _bias_patients GROUP BY GROUPING SETS (" + String.join(", ", sets) + ")";
    List<Row> rows = spark.sql(sql).collectAsList();

    long total = 0;
    List<Group> groups = new ArrayList<>();
    List<Group> intersections = new ArrayList<>();
    Map<String, Map<String, Double>> best = new TreeMap<>();
    List<Row> singles = new ArrayList<>();
    for (Row r : rows) {
      int grouped = 0;
      for (int i = 0; i < attributes.size(); i++) {
        grouped += r.getByte(i) == 0 ? 1 : 0;
      }
      if (grouped == 0) {
        total = r.getLong(r.fieldIndex("n"));
      } else if (grouped == 1) {
        singles.add(r);
      }
    }
    // Best-covered group per attribute and indicator (among groups large enough to judge).
    for (Row r : singles) {
      String attribute = groupedAttribute(r, attributes);
      long n = r.getLong(r.fieldIndex("n"));
      if (n < config.minGroup()) {
        continue;
      }
      for (String c : config.coverage().keySet()) {
        // only rates a reviewer may see: a best rate must not reveal a small count either
        if (rate(r.getLong(r.fieldIndex("cov_" + c)), n, true) instanceof Double shown) {
          best.computeIfAbsent(attribute, a -> new TreeMap<>()).merge(c, shown, Math::max);
        }
      }
    }
    List<String> flags = new ArrayList<>();
    if (singles.stream().noneMatch(r -> groupedAttribute(r, attributes).equals(SensitiveGroups.PAYER_TYPE)
        && !SensitiveGroups.UNKNOWN.equals(r.getString(r.fieldIndex(SensitiveGroups.PAYER_TYPE))))) {
      flags.add("payer_type: no patient has a claim naming a payer in " + ClaimSchema.TABLE
          + ", so every payer type is unknown; ingest the export's Claim resources to audit by payer type");
    }
    for (Row r : rows) {
      List<String> grouped = new ArrayList<>();
      for (int i = 0; i < attributes.size(); i++) {
        if (r.getByte(i) == 0) {
          grouped.add(attributes.get(i));
        }
      }
      if (grouped.isEmpty()) {
        continue;
      }
      String attribute = String.join(" x ", grouped);
      String value = String.join(" / ", grouped.stream().map(a -> r.getString(r.fieldIndex(a))).toList());
      long n = r.getLong(r.fieldIndex("n"));
      boolean small = Suppression.suppressed(n);
      boolean judged = n >= config.minGroup();
      Double share = small ? null : (double) n / total;
      Double reference = grouped.size() == 1 ? config.reference().getOrDefault(attribute, Map.of()).get(value) : null;
      Double ratio = share != null && reference != null && reference > 0 ? share / reference : null;
      boolean under = ratio != null && ratio < config.flagRatio();
      Map<String, Object> coverage = new LinkedHashMap<>();
      for (String c : config.coverage().keySet()) {
        long covered = r.getLong(r.fieldIndex("cov_" + c));
        Object shown = rate(covered, n, judged);
        if (shown instanceof Double rate && grouped.size() == 1) {
          Double top = best.getOrDefault(attribute, Map.of()).get(c);
          if (top != null && top > 0 && rate / top < config.flagRatio()) {
            flags.add(String.format(Locale.ROOT, "%s: %s = %s has %s coverage %.0f%% of the best-covered group's", c, attribute, value, c,
                100 * rate / top));
          }
        }
        coverage.put(c, shown);
      }
      Object prevalence = label == null ? null : rate(r.isNullAt(r.fieldIndex("positives")) ? 0 : r.getLong(r.fieldIndex("positives")),
          r.getLong(r.fieldIndex("labeled")), r.getLong(r.fieldIndex("labeled")) >= config.minGroup());
      if (under && grouped.size() == 1) {
        flags.add(String.format(Locale.ROOT, "representation: %s = %s is %.0f%% of its reference share", attribute, value, 100 * ratio));
      }
      Group g = new Group(attribute, value, small ? -1 : n, Suppression.display(n), share, reference, ratio, under, coverage, prevalence,
          small ? "fewer than 11 patients" : judged ? null : INSUFFICIENT + " (fewer than " + config.minGroup() + " patients)");
      (grouped.size() == 1 ? groups : intersections).add(g);
    }
    groups.sort(java.util.Comparator.comparing(Group::attribute).thenComparing(Group::value));
    intersections.sort(java.util.Comparator.comparing(Group::attribute).thenComparing(Group::value));
    return new Report(asOf, total, label, groups, intersections, best, flags);
  }

  /** A rate a reviewer may see: withheld when its count or complement is 1 to 10, "insufficient data" for small groups. */
  static Object rate(long count, long of, boolean judged) {
    if (of == 0) {
      return null;
    }
    if (Suppression.suppressed(count) || Suppression.suppressed(of - count) || Suppression.suppressed(of)) {
      return "withheld (<11)";
    }
    if (!judged) {
      return INSUFFICIENT;
    }
    return (double) count / of;
  }

  private static String groupedAttribute(Row r, List<String> attributes) {
    for (int i = 0; i < attributes.size(); i++) {
      if (r.getByte(i) == 0) {
        return attributes.get(i);
      }
    }
    return "";
  }

  /** Where {@link #write} puts the JSON (the quality report reads the latest from there). */
  public static Path jsonFile(Lakehouse lakehouse) {
    return lakehouse.reportsDir().resolve("bias").resolve("data-bias.json");
  }

  /** Writes {@code data-bias.html} and {@code .json} under {@code <lakehouse>/reports/bias}. */
  public Reports.Written write(Report report, Config config) {
    StringBuilder body = new StringBuilder();
    body.append("<h1>Data bias</h1><p>").append(Suppression.display(report.patients())).append(" patients, ages as of ")
        .append(report.asOf()).append(". Counts under 11 are shown as &lt;11 and rates that would reveal one are withheld; groups under ")
        .append(config.minGroup()).append(" patients read \"insufficient data\".</p>");
    body.append("<h2>Findings</h2><ul>");
    if (report.flags().isEmpty()) {
      body.append("<li>No group under ").append(Html.percent(config.flagRatio())).append(" of its reference share or of the best coverage.</li>");
    }
    report.flags().forEach(f -> body.append("<li>").append(Html.escape(f)).append("</li>"));
    body.append("</ul>");
    body.append(charts(report, true));
    body.append("<h2>Intersections (pairs of attributes)</h2><table><tr><th>attributes</th><th>group</th><th>patients</th><th>share</th></tr>");
    for (Group g : report.intersections()) {
      body.append("<tr><td>").append(Html.escape(g.attribute())).append("</td><td>").append(Html.escape(g.value())).append("</td><td>")
          .append(g.patientsShown()).append("</td><td>").append(g.share() == null ? "" : Html.percent(g.share())).append("</td></tr>");
    }
    body.append("</table>");
    return Reports.write(lakehouse.reportsDir().resolve("bias"), "data-bias", Html.page("CareLake data bias", body.toString()), report);
  }

  /**
   * Per attribute: representation against the reference share, coverage of each indicator against the
   * best-covered group, and (with {@code prevalence} and a label) outcome prevalence. Only suppressed
   * figures reach here: a withheld value is drawn as its label, not a bar.
   */
  static String charts(Report report, boolean prevalence) {
    StringBuilder body = new StringBuilder();
    Map<String, List<Group>> byAttribute = new LinkedHashMap<>();
    report.groups().forEach(g -> byAttribute.computeIfAbsent(g.attribute(), a -> new ArrayList<>()).add(g));
    java.util.Set<String> indicators = new java.util.LinkedHashSet<>();
    report.groups().forEach(g -> indicators.addAll(g.coverage().keySet()));
    for (Map.Entry<String, List<Group>> e : byAttribute.entrySet()) {
      body.append("<h2>").append(Html.escape(e.getKey())).append("</h2>");
      List<Html.Bar> bars = new ArrayList<>();
      for (Group g : e.getValue()) {
        String label = g.share() == null ? g.patientsShown() + " patients" : Html.percent(g.share()) + (g.referenceShare() == null ? ""
            : " (reference " + Html.percent(g.referenceShare()) + ", ratio " + Html.number(g.representationRatio(), 2) + ")");
        bars.add(new Html.Bar(g.value(), g.share(), label));
      }
      body.append(Html.barChart("Representation: share of patients", bars, 1.0, null, null));
      for (String c : indicators) {
        List<Html.Bar> cov = new ArrayList<>();
        for (Group g : e.getValue()) {
          Object v = g.coverage().get(c);
          cov.add(new Html.Bar(g.value(), v instanceof Number d ? d.doubleValue() : null,
              v instanceof Number d ? Html.percent(d.doubleValue()) : String.valueOf(v)));
        }
        Double top = report.bestCoverage().getOrDefault(e.getKey(), Map.of()).get(c);
        body.append(Html.barChart("Coverage: patients with " + c, cov, 1.0, top, top == null ? null : "best " + Html.percent(top)));
      }
      if (prevalence && report.label() != null) {
        List<Html.Bar> prev = new ArrayList<>();
        for (Group g : e.getValue()) {
          prev.add(new Html.Bar(g.value(), g.prevalence() instanceof Number d ? d.doubleValue() : null,
              g.prevalence() instanceof Number d ? Html.percent(d.doubleValue()) : String.valueOf(g.prevalence())));
        }
        body.append(Html.barChart("Outcome prevalence: " + report.label(), prev, 1.0, null, null));
      }
    }
    return body.toString();
  }
}
