package org.carelake.training.model;

import java.util.List;
import org.apache.spark.ml.PipelineModel;

/**
 * A trained cohort model and how it did.
 *
 * @param features the model's input features, in vector order
 * @param droppedFeatures features with no value for any training patient, left out
 * @param threshold the decision threshold (Youden's J on the training set)
 * @param testPredictions held-out predictions, for the fairness audit
 */
public record TrainingRun(
    PipelineModel model, List<String> features, List<String> droppedFeatures, long trainRows, long trainPositives, long testRows,
    long testPositives, double aurocTrain, double aurocTest, double threshold, List<Prediction> testPredictions) {}
