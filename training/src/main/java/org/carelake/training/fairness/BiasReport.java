package org.carelake.training.fairness;

import static org.carelake.core.report.Html.escape;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.carelake.core.Suppression;
import org.carelake.core.report.Html;
import org.carelake.core.report.Reports;

/** The model bias report for fairness reviewers: HTML with charts, and the same content as JSON. */
public final class BiasReport {

  private BiasReport() {}

  /**
   * @param context what the model is, for the header (name, cohort, version...); no PHI
   */
  public static Reports.Written write(Path dir, String name, BiasAudit.Result audit, Map<String, Object> context) {
    return Reports.write(dir, name, html(audit, context), json(audit, context));
  }

  static Map<String, Object> json(BiasAudit.Result audit, Map<String, Object> context) {
    Map<String, Object> json = new LinkedHashMap<>(context);
    json.put("threshold", audit.threshold());
    json.put("min_cell_size", Suppression.MIN_CELL);
    json.put("overall", audit.overall());
    json.put("groups", audit.groups());
    json.put("tpr_gap_by_attribute", audit.tprGapByAttribute());
    json.put("auroc_gap_by_attribute", audit.aurocGapByAttribute());
    json.put("findings", audit.findings());
    return json;
  }

  static String html(BiasAudit.Result audit, Map<String, Object> context) {
    StringBuilder body = new StringBuilder();
    body.append("<table>");
    context.forEach((k, v) -> body.append("<tr><th>").append(escape(k)).append("</th><td>").append(escape(String.valueOf(v)))
        .append("</td></tr>"));
    body.append("<tr><th>decision threshold</th><td>").append(Html.number(audit.threshold(), 4)).append("</td></tr></table>");
    for (String finding : audit.findings()) {
      body.append("<p><strong>Finding:</strong> ").append(escape(finding)).append("</p>");
    }
    body.append("<p>Group metrics are computed on out-of-fold predictions (see above) at the registered model's threshold. Counts under ").append(Suppression.MIN_CELL)
        .append(" are shown as &ldquo;").append(escape(Suppression.SUPPRESSED))
        .append("&rdquo; and rates that would reveal them are withheld (&ldquo;insufficient data&rdquo;). ")
        .append("TPR gap = largest difference in true positive rate between reportable groups of one attribute.</p>");
    GroupMetrics all = audit.overall();
    body.append("<p><strong>All audited patients:</strong> n=").append(escape(all.patients())).append(", AUROC ")
        .append(fmt(all.auroc(), 3)).append(", prevalence ").append(pct(all.prevalence())).append(", TPR ")
        .append(pct(all.truePositiveRate())).append(", FPR ").append(pct(all.falsePositiveRate())).append("</p>");
    List<String> attributes = audit.groups().stream().map(GroupMetrics::attribute).distinct().toList();
    for (String attribute : attributes) {
      List<GroupMetrics> rows = audit.groups().stream().filter(g -> g.attribute().equals(attribute)).toList();
      body.append("<h2>By ").append(escape(attribute)).append("</h2>");
      Double gap = audit.tprGapByAttribute().get(attribute);
      body.append("<p>TPR gap: ").append(gap == null ? "not computable (fewer than two reportable groups)" : pct(gap)).append("</p>");
      body.append("<table><tr><th>group</th><th>patients</th><th>with outcome</th><th>prevalence</th><th>TPR</th><th>FPR</th>")
          .append("<th>AUROC</th><th>note</th></tr>");
      List<Html.Bar> tprBars = new ArrayList<>();
      for (GroupMetrics g : rows) {
        body.append("<tr><td>").append(escape(g.group())).append("</td><td class=\"num\">").append(escape(g.patients()))
            .append("</td><td class=\"num\">").append(escape(g.positives() == null ? "" : g.positives())).append("</td><td class=\"num\">")
            .append(pct(g.prevalence())).append("</td><td class=\"num\">").append(pct(g.truePositiveRate())).append("</td><td class=\"num\">")
            .append(pct(g.falsePositiveRate())).append("</td><td class=\"num\">").append(fmt(g.auroc(), 3)).append("</td><td class=\"muted\">")
            .append(escape(g.note())).append("</td></tr>");
        tprBars.add(new Html.Bar(g.group(), g.truePositiveRate(),
            g.truePositiveRate() == null ? GroupMetrics.INSUFFICIENT : Html.percent(g.truePositiveRate())));
      }
      body.append("</table>");
      body.append(Html.barChart("True positive rate by " + attribute + " (dashed: all patients)", tprBars, 1.0,
          all.truePositiveRate(), all.truePositiveRate() == null ? "" : "all " + Html.percent(all.truePositiveRate())));
    }
    return Html.page("CareLake model bias report: " + context.getOrDefault("model", ""), body.toString());
  }

  private static String pct(Double v) {
    return v == null || v.isNaN() ? "<span class=\"muted\">" + GroupMetrics.INSUFFICIENT + "</span>" : Html.percent(v);
  }

  private static String fmt(Double v, int decimals) {
    return v == null || v.isNaN() ? "<span class=\"muted\">" + GroupMetrics.INSUFFICIENT + "</span>" : Html.number(v, decimals);
  }
}
