package org.carelake.training.registry;

import java.nio.file.Path;
import java.util.Map;

/**
 * A registered model version: immutable once written.
 *
 * @param card the model card (metrics, lineage, features, fairness summary) as stored in model-card.json
 */
public record ModelVersion(String model, int version, Path directory, Map<String, Object> card) {}
