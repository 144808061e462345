package org.carelake.training.fairness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.carelake.core.report.Reports;
import org.carelake.training.model.Prediction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BiasAuditTest {

  private static void add(List<Prediction> out, String sex, int positives, int negatives, double positiveScore) {
    for (int i = 0; i < positives; i++) {
      out.add(new Prediction(true, positiveScore, Map.of("sex", sex)));
    }
    for (int i = 0; i < negatives; i++) {
      out.add(new Prediction(false, 0.1 + i * 0.001, Map.of("sex", sex)));
    }
  }

  @Test
  void smallCellsAreSuppressedAndRatesFromThemWithheld(@TempDir Path dir) throws Exception {
    List<Prediction> ps = new ArrayList<>();
    add(ps, "female", 20, 30, 0.9); // reportable
    add(ps, "male", 3, 40, 0.9);    // 3 positives: count suppressed, TPR/AUROC withheld
    add(ps, "other", 2, 5, 0.9);    // 7 patients: whole group insufficient
    BiasAudit.Result audit = BiasAudit.audit(ps, 0.5, List.of("sex"));

    GroupMetrics female = audit.groups().stream().filter(g -> g.group().equals("female")).findFirst().orElseThrow();
    assertThat(female.patients()).isEqualTo("50");
    assertThat(female.truePositiveRate()).isEqualTo(1.0);
    assertThat(female.falsePositiveRate()).isEqualTo(0.0);
    assertThat(female.prevalence()).isEqualTo(0.4);

    GroupMetrics male = audit.groups().stream().filter(g -> g.group().equals("male")).findFirst().orElseThrow();
    assertThat(male.positives()).isEqualTo("<11");
    assertThat(male.prevalence()).as("would reveal the suppressed count").isNull();
    assertThat(male.truePositiveRate()).isNull();
    assertThat(male.auroc()).isNull();
    assertThat(male.falsePositiveRate()).as("its denominator would reveal the suppressed outcome count").isNull();

    GroupMetrics other = audit.groups().stream().filter(g -> g.group().equals("other")).findFirst().orElseThrow();
    assertThat(other.patients()).isEqualTo("<11");
    assertThat(other.note()).contains(GroupMetrics.INSUFFICIENT);

    Reports.Written written = BiasReport.write(dir, "bias", audit, Map.of("model", "m"));
    String json = Files.readString(written.json());
    assertThat(json).doesNotContain("\"patients\" : \"7\"").doesNotContain("\"positives\" : \"3\"").contains("<11");
    assertThat(Files.readString(written.html())).contains("<svg").contains("By sex").contains("&lt;11");
    assertThat(audit.findings()).isEmpty();
  }

  @Test
  void anAttributeUnknownForEveryPatientIsAFindingAtTheTopOfTheReport(@TempDir Path dir) throws Exception {
    List<Prediction> ps = new ArrayList<>();
    add(ps, "female", 20, 30, 0.9);
    add(ps, "male", 15, 30, 0.4);
    // sex is known; no patient has a payer type (no claims ingested), given or absent from the groups
    ps.replaceAll(p -> p.score() > 0.8 ? new Prediction(p.positive(), p.score(), Map.of("sex", p.groups().get("sex"), "payer_type",
        "unknown")) : p);
    BiasAudit.Result audit = BiasAudit.audit(ps, 0.5, List.of("sex", "payer_type"));

    assertThat(audit.findings()).singleElement().asString().startsWith("payer_type: every audited patient's payer_type is unknown")
        .contains("ingest the export's Claim resources");
    Reports.Written written = BiasReport.write(dir, "bias", audit, Map.of("model", "m"));
    assertThat(Files.readString(written.html())).contains("<strong>Finding:</strong> payer_type: every audited patient");
    assertThat(Files.readString(written.json())).contains("\"findings\"").contains("payer_type: every audited patient");
  }

  @Test
  void tprGapComparesOnlyReportableGroups() {
    List<Prediction> ps = new ArrayList<>();
    add(ps, "a", 20, 20, 0.9);
    add(ps, "b", 20, 20, 0.3); // all positives below the threshold: TPR 0
    BiasAudit.Result audit = BiasAudit.audit(ps, 0.5, List.of("sex"));
    assertThat(audit.tprGapByAttribute()).containsEntry("sex", 1.0);
    assertThat(audit.maxTprGap()).isEqualTo(1.0);
  }
}
