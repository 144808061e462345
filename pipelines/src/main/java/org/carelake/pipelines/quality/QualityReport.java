package org.carelake.pipelines.quality;

import static org.carelake.core.report.Html.escape;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.carelake.core.report.Html;

/** The quality report: verdicts per table first (readable in a minute), then every constraint. */
final class QualityReport {

  private QualityReport() {}

  static String html(QualityResult result, Instant time) {
    StringBuilder body = new StringBuilder();
    body.append("<p>Run <code>").append(escape(result.runId())).append("</code> at ").append(time).append(". Overall: ")
        .append(result.passed() ? "<span class=\"pass\">PASS</span>" : "<span class=\"fail\">FAIL</span>")
        .append(" &mdash; ").append(result.failedErrors()).append(" error-level and ").append(result.failedWarnings())
        .append(" warning-level constraints failed. Downstream steps only use tables whose verdict is not FAIL.</p>");
    body.append("<h2>Verdicts</h2><table><tr><th>table</th><th>Delta version</th><th>rows</th><th>verdict</th><th>constraints passed</th></tr>");
    List<Html.Bar> bars = new ArrayList<>();
    for (QualityResult.TableVerdict t : result.tables()) {
      long passed = t.constraints().stream().filter(QualityResult.ConstraintOutcome::passed).count();
      String css = switch (t.verdict()) {
        case "PASS" -> "pass";
        case "WARN" -> "warn";
        default -> "fail";
      };
      body.append("<tr><td>").append(escape(t.table())).append("</td><td class=\"num\">").append(t.deltaVersion())
          .append("</td><td class=\"num\">").append(t.rows()).append("</td><td class=\"").append(css).append("\">")
          .append(t.verdict()).append("</td><td class=\"num\">").append(passed).append(" / ").append(t.constraints().size())
          .append("</td></tr>");
      double share = t.constraints().isEmpty() ? 1 : (double) passed / t.constraints().size();
      bars.add(new Html.Bar(t.table(), share, Html.percent(share)));
    }
    body.append("</table>");
    body.append(Html.barChart("Share of constraints passed per table", bars, 1.0, null, null));
    body.append("<h2>Constraints</h2><table><tr><th>table</th><th>check</th><th>severity</th><th>constraint</th><th>result</th><th>message</th></tr>");
    for (QualityResult.TableVerdict t : result.tables()) {
      for (QualityResult.ConstraintOutcome c : t.constraints()) {
        body.append("<tr><td>").append(escape(t.table())).append("</td><td>").append(escape(c.check())).append("</td><td>")
            .append(c.severity()).append("</td><td>").append(escape(c.constraint())).append("</td><td class=\"")
            .append(c.passed() ? "pass\">pass" : c.severity() == Severity.ERROR ? "fail\">FAIL" : "warn\">warn")
            .append("</td><td>").append(escape(c.message())).append("</td></tr>");
      }
    }
    body.append("</table>");
    return Html.page("CareLake data quality report", body.toString());
  }

  static Map<String, Object> json(QualityResult result, Instant time) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("run_id", result.runId());
    json.put("time", time.toString());
    json.put("passed", result.passed());
    json.put("failed_error_constraints", result.failedErrors());
    json.put("failed_warning_constraints", result.failedWarnings());
    json.put("tables", result.tables().stream().map(t -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("table", t.table());
      m.put("delta_version", t.deltaVersion());
      m.put("rows", t.rows());
      m.put("verdict", t.verdict());
      m.put("constraints", t.constraints());
      return m;
    }).toList());
    return json;
  }
}
