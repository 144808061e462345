package org.carelake.features;

import static org.carelake.core.report.Html.escape;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.carelake.core.Suppression;
import org.carelake.core.report.Html;
import org.carelake.core.report.Reports;

/**
 * The feature build report for ML engineers: per feature completeness, mean and spread, and drift
 * against the previous build. Minimum and maximum stay in {@code ops.feature_build_stats} (one
 * patient's extreme value is not for a report), and a build of fewer than 11 patients shows no
 * statistics at all.
 */
public final class FeatureBuildReport {

  private FeatureBuildReport() {}

  public static Reports.Written write(Path dir, FeatureSet set, FeatureBuild.Result result) {
    boolean tooSmall = Suppression.suppressed(result.rows());
    List<Map<String, Object>> features = new ArrayList<>();
    for (FeatureBuild.FeatureStats s : result.stats()) {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("feature", s.feature());
      if (!tooSmall) {
        f.put("completeness", s.completeness());
        f.put("mean", s.mean());
        f.put("stddev", s.stddev());
      }
      result.drift().stream().filter(d -> d.feature().equals(s.feature())).findFirst().ifPresent(d -> {
        f.put("drifted", d.drifted());
        if (!tooSmall) {
          f.put("completeness_before", d.completenessBefore());
          f.put("mean_before", d.meanBefore());
          f.put("mean_shift_sd", d.meanShiftSd() == null || d.meanShiftSd().isInfinite() ? null : d.meanShiftSd());
        }
      });
      features.add(f);
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("feature_set", set.name());
    json.put("feature_versions", set.versions());
    json.put("build_id", result.buildId());
    json.put("previous_build_id", result.previousBuildId());
    json.put("as_of", result.asOf().toString());
    json.put("table", FeatureBuild.table(set).qualifiedName());
    json.put("table_version", result.write().versionAfter());
    json.put("patients", Suppression.display(result.rows()));
    json.put("drift_rule", "completeness moved by more than " + FeatureBuild.COMPLETENESS_DRIFT + ", or mean by more than "
        + FeatureBuild.MEAN_DRIFT_SD + " standard deviations of the previous build");
    json.put("features_drifted", result.drifted());
    json.put("features", features);
    return Reports.write(dir, set.name() + "-build", html(json, features, tooSmall), json);
  }

  private static String html(Map<String, Object> json, List<Map<String, Object>> features, boolean tooSmall) {
    StringBuilder body = new StringBuilder("<table>");
    for (String k : List.of("feature_set", "build_id", "previous_build_id", "as_of", "table", "table_version", "patients", "drift_rule")) {
      body.append("<tr><th>").append(escape(k.replace('_', ' '))).append("</th><td>").append(escape(String.valueOf(json.get(k))))
          .append("</td></tr>");
    }
    long drifted = (long) json.get("features_drifted");
    if (json.get("previous_build_id") == null) {
      body.append("</table><p class=\"muted\">First build of this feature set: no earlier build to compare for drift.</p>");
    } else {
      body.append("</table><p class=\"").append(drifted == 0 ? "pass" : "warn").append("\">").append(drifted)
          .append(" feature(s) drifted since the previous build.</p>");
    }
    if (tooSmall) {
      body.append("<p class=\"muted\">Fewer than ").append(Suppression.MIN_CELL).append(" patients: statistics withheld.</p>");
      return Html.page("CareLake feature build: " + json.get("feature_set"), body.toString());
    }
    body.append("<table><tr><th>feature</th><th>completeness</th><th>before</th><th>mean</th><th>before</th><th>stddev</th>")
        .append("<th>mean shift (SD)</th><th>drift</th></tr>");
    List<Html.Bar> completeness = new ArrayList<>();
    for (Map<String, Object> f : features) {
      body.append("<tr><td>").append(escape((String) f.get("feature"))).append("</td>")
          .append(cell(f.get("completeness"), true)).append(cell(f.get("completeness_before"), true))
          .append(cell(f.get("mean"), false)).append(cell(f.get("mean_before"), false)).append(cell(f.get("stddev"), false))
          .append(cell(f.get("mean_shift_sd"), false)).append("<td class=\"")
          .append(Boolean.TRUE.equals(f.get("drifted")) ? "warn\">DRIFT" : f.containsKey("drifted") ? "pass\">ok" : "muted\">first build")
          .append("</td></tr>");
      double c = (double) f.get("completeness");
      completeness.add(new Html.Bar((String) f.get("feature"), c, Html.percent(c)));
    }
    body.append("</table>").append(Html.barChart("Completeness per feature", completeness, 1.0, null, ""));
    return Html.page("CareLake feature build: " + json.get("feature_set"), body.toString());
  }

  private static String cell(Object value, boolean percent) {
    if (!(value instanceof Double d)) {
      return "<td class=\"muted\">-</td>";
    }
    return "<td class=\"num\">" + (percent ? Html.percent(d) : Html.number(d, 3)) + "</td>";
  }
}
