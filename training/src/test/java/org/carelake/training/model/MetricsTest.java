package org.carelake.training.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MetricsTest {

  /** Brute force: share of (positive, negative) pairs ranked correctly, ties half. */
  private static double pairwise(List<Prediction> ps) {
    double good = 0;
    long pairs = 0;
    for (Prediction p : ps) {
      for (Prediction n : ps) {
        if (p.positive() && !n.positive()) {
          pairs++;
          good += p.score() > n.score() ? 1 : p.score() == n.score() ? 0.5 : 0;
        }
      }
    }
    return good / pairs;
  }

  @Test
  void aurocMatchesPairwiseDefinitionIncludingTies() {
    Random random = new Random(7);
    for (int round = 0; round < 20; round++) {
      List<Prediction> ps = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        boolean positive = random.nextDouble() < 0.3;
        double score = Math.round((random.nextDouble() + (positive ? 0.3 : 0)) * 10) / 10.0; // many ties
        ps.add(new Prediction(positive, score, Map.of()));
      }
      if (ps.stream().anyMatch(Prediction::positive) && ps.stream().anyMatch(p -> !p.positive())) {
        assertThat(Metrics.auroc(ps)).isCloseTo(pairwise(ps), within(1e-12));
      }
    }
  }

  @Test
  void aurocIsUndefinedWithOneClassAndYoudenSeparatesPerfectScores() {
    assertThat(Metrics.auroc(List.of(new Prediction(true, 0.4, Map.of())))).isNaN();
    List<Prediction> perfect = List.of(new Prediction(false, 0.1, Map.of()), new Prediction(false, 0.2, Map.of()),
        new Prediction(true, 0.7, Map.of()), new Prediction(true, 0.9, Map.of()));
    assertThat(Metrics.auroc(perfect)).isEqualTo(1.0);
    assertThat(Metrics.youdenThreshold(perfect)).isEqualTo(0.7);
  }
}
