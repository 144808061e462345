package org.carelake.features;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.carelake.core.CareLakeException;

/** The feature sets CareLake ships, by name. */
public final class FeatureSets {

  private static final Map<String, FeatureSet> ALL = new LinkedHashMap<>();

  static {
    for (FeatureSet set : List.of(ClinicalFeatures.CARDIOMETABOLIC_V1, LifestyleGenomicFeatures.CARDIOMETABOLIC_LIFESTYLE_GENOMIC_V1)) {
      ALL.put(set.name(), set);
    }
  }

  private FeatureSets() {}

  public static List<FeatureSet> all() {
    return List.copyOf(ALL.values());
  }

  public static FeatureSet byName(String name) {
    FeatureSet set = ALL.get(name);
    if (set == null) {
      throw CareLakeException.badInput("Unknown feature set '" + name + "'.", "use one of " + ALL.keySet()
          + " (./carelake features list shows their features).");
    }
    return set;
  }
}
