package org.carelake.training.model;

import java.util.Arrays;
import java.util.List;

/** Model metrics computed exactly on collected scores (used per group, where sets are small). */
public final class Metrics {

  private Metrics() {}

  /**
   * AUROC as the Mann-Whitney probability that a random positive outranks a random negative, ties
   * counting half. NaN when either class is empty.
   */
  public static double auroc(List<Prediction> predictions) {
    Prediction[] sorted = predictions.toArray(new Prediction[0]);
    Arrays.sort(sorted, (a, b) -> Double.compare(a.score(), b.score()));
    long positives = predictions.stream().filter(Prediction::positive).count();
    long negatives = predictions.size() - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    double rankSum = 0;
    int i = 0;
    while (i < sorted.length) {
      int j = i;
      while (j + 1 < sorted.length && sorted[j + 1].score() == sorted[i].score()) {
        j++;
      }
      double averageRank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        if (sorted[k].positive()) {
          rankSum += averageRank;
        }
      }
      i = j + 1;
    }
    return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }

  /** The threshold maximizing Youden's J (TPR - FPR) on these predictions. */
  public static double youdenThreshold(List<Prediction> predictions) {
    double best = 0.5;
    double bestJ = -1;
    long positives = predictions.stream().filter(Prediction::positive).count();
    long negatives = predictions.size() - positives;
    if (positives == 0 || negatives == 0) {
      return best;
    }
    double[] scores = predictions.stream().mapToDouble(Prediction::score).distinct().sorted().toArray();
    for (double t : scores) {
      long tp = predictions.stream().filter(p -> p.positive() && p.score() >= t).count();
      long fp = predictions.stream().filter(p -> !p.positive() && p.score() >= t).count();
      double j = (double) tp / positives - (double) fp / negatives;
      if (j > bestJ) {
        bestJ = j;
        best = t;
      }
    }
    return best;
  }
}
