package org.carelake.training.model;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.ml.PipelineModel;

/**
 * A trained cohort model and how it did.
 *
 * @param features the model's input features, in vector order
 * @param droppedFeatures features with no value for any training patient, left out
 * @param threshold the decision threshold (Youden's J on the training set)
 * @param testPredictions held-out predictions
 * @param outOfFoldPredictions every cohort patient scored by a cross-validation model that did not see them
 * @param aurocCrossValidated AUROC of the out-of-fold predictions
 */
public record TrainingRun(
    PipelineModel model, List<String> features, List<String> droppedFeatures, long trainRows, long trainPositives, long testRows,
    long testPositives, double aurocTrain, double aurocTest, double threshold, List<Prediction> testPredictions,
    List<Prediction> outOfFoldPredictions, double aurocCrossValidated) {

  /**
   * Why the held-out AUROC is undefined (NaN), or empty when it is defined: AUROC needs tested
   * patients with and without the outcome, and the split keeps a class's only patient for training.
   */
  public Optional<String> aurocTestUndefinedBecause() {
    if (!Double.isNaN(aurocTest)) {
      return Optional.empty();
    }
    return Optional.of(testPositives == 0
        ? "no patient with the outcome was held out: the cohort has " + trainPositives + ", and training needs it"
        : "no patient without the outcome was held out: the cohort has " + (trainRows - trainPositives) + ", and training needs it");
  }

  /** The held-out AUROC to three decimals, or "undefined" and why. */
  public String aurocTestText() {
    return aurocTestUndefinedBecause().map(why -> "undefined: " + why).orElse(String.format(Locale.ROOT, "%.3f", aurocTest));
  }
}
