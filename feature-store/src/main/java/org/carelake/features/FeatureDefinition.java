package org.carelake.features;

import org.carelake.core.TableId;

/**
 * A patient feature: which events of which table it reads, how it aggregates them, and over which
 * window before the as-of time. Only events with {@code as_of - lookback < event_time <= as_of}
 * count, so a feature can never see the future of its as-of time.
 *
 * @param name feature name, also its column name
 * @param version bumped when the meaning changes
 * @param description for people browsing the registry
 * @param source the table events come from
 * @param eventTimeColumn the source's event time
 * @param filter SQL predicate selecting the events (e.g. a concept set), or null for all
 * @param value SQL expression of the event's value (ignored by COUNT, EXISTS, DAYS_SINCE)
 * @param aggregation how events reduce to one value
 * @param lookbackDays window length before the as-of time (the feature's TTL)
 */
public record FeatureDefinition(
    String name, int version, String description, TableId source, String eventTimeColumn, String filter, String value,
    Aggregation aggregation, int lookbackDays) {

  public FeatureDefinition {
    if (name == null || !name.matches("[a-z][a-z0-9_]*")) {
      throw new IllegalArgumentException("feature name must be snake_case: " + name);
    }
    if (lookbackDays <= 0) {
      throw new IllegalArgumentException("feature " + name + " needs a positive lookback, got " + lookbackDays);
    }
    if (value == null && (aggregation == Aggregation.LAST || aggregation == Aggregation.MEAN || aggregation == Aggregation.MIN
        || aggregation == Aggregation.MAX)) {
      throw new IllegalArgumentException("feature " + name + " aggregates " + aggregation + " but has no value expression");
    }
  }
}
