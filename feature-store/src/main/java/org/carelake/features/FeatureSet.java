package org.carelake.features;

import java.util.List;
import java.util.stream.Collectors;

/** A named, versioned set of features: what one model version is trained and served with. */
public record FeatureSet(String name, List<FeatureDefinition> features) {

  public FeatureSet {
    features = List.copyOf(features);
    long distinct = features.stream().map(FeatureDefinition::name).distinct().count();
    if (distinct != features.size()) {
      throw new IllegalArgumentException("feature set " + name + " names a feature twice");
    }
  }

  public List<String> names() {
    return features.stream().map(FeatureDefinition::name).toList();
  }

  /** The lakehouse tables the set reads (measurements are read from silver.observation). */
  public List<org.carelake.core.TableId> sourceTables() {
    return features.stream().map(f -> f.source().equals(Measurements.SOURCE) ? org.carelake.core.schema.ObservationSchema.TABLE : f.source())
        .distinct().toList();
  }

  /** Feature name and version pairs, e.g. {@code last_bmi@1}. */
  public String versions() {
    return features.stream().map(f -> f.name() + "@" + f.version()).collect(Collectors.joining(","));
  }
}
