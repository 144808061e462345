package org.carelake.training.model;

import java.util.List;
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
    List<Prediction> outOfFoldPredictions, double aurocCrossValidated) {}
