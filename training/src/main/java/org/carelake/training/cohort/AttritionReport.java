package org.carelake.training.cohort;

import static org.carelake.core.report.Html.escape;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.carelake.core.Suppression;
import org.carelake.core.report.Html;
import org.carelake.core.report.Reports;

/**
 * The cohort attrition report for reviewers: patients remaining after each rule, overall and per
 * sensitive group, and each group's retention from entry to the final cohort (so a rule that
 * removes one group more than others stands out). Counts that are small, or that differ from an
 * earlier shown count of the same group by 1 to 10, are withheld, with complements (see
 * {@link Suppression#withheld}); nothing here names a patient.
 */
public final class AttritionReport {

  /** A count as a reviewer sees it: the number, or the suppression marker. */
  private static final String WITHHELD = Suppression.SUPPRESSED + " or withheld";

  private AttritionReport() {}

  public static Reports.Written write(Path dir, Cohort cohort, Map<String, Object> context) {
    Model model = model(cohort);
    Map<String, Object> json = new LinkedHashMap<>(context);
    json.put("cohort", cohort.definition().name());
    json.put("description", cohort.definition().description());
    json.put("definition_hash", cohort.definition().sourceHash());
    json.put("min_cell_size", Suppression.MIN_CELL);
    json.put("groups_taken_at", "the end of the study period (" + cohort.definition().studyPeriod().end()
        + "): age band, and payer type from the latest claim created by then");
    json.put("steps", model.steps);
    json.put("retention_by_group", model.retention);
    return Reports.write(dir, cohort.definition().name() + "-attrition", html(cohort, model, context), json);
  }

  /** What the report shows, already suppressed. */
  record Model(List<Map<String, Object>> steps, Map<String, Map<String, Object>> retention, Map<String, List<String>> groups,
      String[] overall) {}

  static Model model(Cohort cohort) {
    List<Cohort.AttritionStep> steps = cohort.attrition();
    long[][] overallCounts = new long[steps.size()][1];
    for (int s = 0; s < steps.size(); s++) {
      overallCounts[s][0] = steps.get(s).patients();
    }
    boolean[][] overallHidden = Suppression.withheld(overallCounts);
    String[] overall = new String[steps.size()];
    for (int s = 0; s < steps.size(); s++) {
      overall[s] = overallHidden[s][0] ? WITHHELD : Long.toString(overallCounts[s][0]);
    }
    Map<String, List<String>> groups = new LinkedHashMap<>();
    Map<String, String[][]> shown = new LinkedHashMap<>();
    Map<String, Map<String, Object>> retention = new LinkedHashMap<>();
    for (String attribute : steps.get(0).byGroup().keySet()) {
      TreeSet<String> names = new TreeSet<>();
      steps.forEach(st -> names.addAll(st.byGroup().get(attribute).keySet()));
      List<String> list = List.copyOf(names);
      groups.put(attribute, list);
      long[][] counts = new long[steps.size()][list.size()];
      for (int s = 0; s < steps.size(); s++) {
        for (int g = 0; g < list.size(); g++) {
          counts[s][g] = steps.get(s).byGroup().get(attribute).getOrDefault(list.get(g), 0L);
        }
      }
      boolean[][] hidden = Suppression.withheld(counts);
      String[][] cells = new String[steps.size()][list.size()];
      for (int s = 0; s < steps.size(); s++) {
        for (int g = 0; g < list.size(); g++) {
          cells[s][g] = hidden[s][g] ? WITHHELD : Long.toString(counts[s][g]);
        }
      }
      shown.put(attribute, cells);
      // Retention from the entry step (patients with an entry event) to the final cohort.
      int entry = Math.min(1, steps.size() - 1);
      int last = steps.size() - 1;
      Map<String, Object> perGroup = new LinkedHashMap<>();
      for (int g = 0; g < list.size(); g++) {
        boolean computable = !hidden[entry][g] && !hidden[last][g] && counts[entry][g] > 0;
        perGroup.put(list.get(g), computable ? (Object) ((double) counts[last][g] / counts[entry][g]) : "insufficient data");
      }
      retention.put(attribute, perGroup);
    }
    List<Map<String, Object>> stepRows = new ArrayList<>();
    for (int s = 0; s < steps.size(); s++) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("rule", steps.get(s).rule());
      row.put("patients", overall[s]);
      Map<String, Map<String, String>> byGroup = new LinkedHashMap<>();
      for (var e : groups.entrySet()) {
        Map<String, String> cells = new LinkedHashMap<>();
        for (int g = 0; g < e.getValue().size(); g++) {
          cells.put(e.getValue().get(g), shown.get(e.getKey())[s][g]);
        }
        byGroup.put(e.getKey(), cells);
      }
      row.put("by_group", byGroup);
      stepRows.add(row);
    }
    return new Model(stepRows, retention, groups, overall);
  }

  private static String html(Cohort cohort, Model model, Map<String, Object> context) {
    StringBuilder body = new StringBuilder();
    body.append("<table>");
    Map<String, Object> header = new LinkedHashMap<>(context);
    header.put("cohort", cohort.definition().name());
    header.put("description", cohort.definition().description());
    header.put("definition hash", cohort.definition().sourceHash());
    header.forEach((k, v) -> body.append("<tr><th>").append(escape(k)).append("</th><td>").append(escape(String.valueOf(v)))
        .append("</td></tr>"));
    body.append("</table><p>Patients remaining after each rule, in the order the definition applies them. Counts from 1 to ")
        .append(Suppression.MIN_CELL - 1).append(", and counts that would reveal one (by difference with an earlier step or with the ")
        .append("step's total), are shown as &ldquo;").append(escape(WITHHELD)).append("&rdquo;. Groups are taken at the end of the study")
        .append(" period (").append(cohort.definition().studyPeriod().end())
        .append("): age band, and payer type from the latest claim created by then.</p>");

    body.append("<h2>Overall</h2><table><tr><th>#</th><th>rule</th><th>patients</th></tr>");
    List<Html.Bar> bars = new ArrayList<>();
    double max = 0;
    for (int s = 0; s < model.steps.size(); s++) {
      String rule = (String) model.steps.get(s).get("rule");
      body.append("<tr><td>").append(s).append("</td><td>").append(escape(rule)).append("</td><td class=\"num\">")
          .append(escape(model.overall[s])).append("</td></tr>");
      Double value = model.overall[s].equals(WITHHELD) ? null : Double.valueOf(model.overall[s]);
      max = Math.max(max, value == null ? 0 : value);
      bars.add(new Html.Bar("#" + s, value, value == null ? WITHHELD : model.overall[s]));
    }
    body.append("</table>").append(Html.barChart("Patients remaining after each rule", bars, max, null, ""));

    for (var e : model.groups.entrySet()) {
      String attribute = e.getKey();
      body.append("<h2>By ").append(escape(attribute)).append("</h2><table><tr><th>#</th>");
      e.getValue().forEach(g -> body.append("<th>").append(escape(g)).append("</th>"));
      body.append("</tr>");
      for (int s = 0; s < model.steps.size(); s++) {
        @SuppressWarnings("unchecked")
        Map<String, Map<String, String>> byGroup = (Map<String, Map<String, String>>) model.steps.get(s).get("by_group");
        body.append("<tr><td>").append(s).append("</td>");
        e.getValue().forEach(g -> body.append("<td class=\"num\">").append(escape(byGroup.get(attribute).get(g))).append("</td>"));
        body.append("</tr>");
      }
      body.append("</table>");
      List<Html.Bar> retention = new ArrayList<>();
      model.retention.get(attribute).forEach((g, v) -> retention.add(v instanceof Double d
          ? new Html.Bar(g, d, Html.percent(d)) : new Html.Bar(g, null, String.valueOf(v))));
      body.append(Html.barChart("Share of patients with an entry event who remain in the final cohort, by " + attribute, retention,
          1.0, null, ""));
    }
    return Html.page("CareLake cohort attrition: " + cohort.definition().name(), body.toString());
  }
}
