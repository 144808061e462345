package org.carelake.training.model;

import java.util.Map;

/** One test-set prediction with the patient's sensitive-group memberships (no identifiers). */
public record Prediction(boolean positive, double score, Map<String, String> groups) {}
