package org.carelake.features;

import java.util.List;
import org.carelake.core.Hashes;
import org.carelake.core.TableId;

/**
 * A patient feature: which events of which table it reads, how it aggregates them, over which
 * window before the as-of time, and how old its newest event may be. Only events with
 * {@code as_of - lookback < event_time <= as_of} count, so a feature can never see the future of
 * its as-of time; and a value whose newest event is older than the TTL is not served (null), so a
 * stale measurement is not presented as current.
 *
 * @param name feature name, also its column name
 * @param version bumped when the meaning changes; the registry refuses a changed definition under an
 *     existing version
 * @param description for people browsing the registry
 * @param owner the team answerable for the feature
 * @param source the table events come from
 * @param eventTimeColumn the source's event time
 * @param filter SQL predicate selecting the events (e.g. a concept set), or null for all
 * @param value SQL expression of the event's value (only read by aggregations that need one)
 * @param aggregation how events reduce to one value
 * @param lookbackDays the aggregation window before the as-of time
 * @param ttlDays the newest event must be at most this many days old; equal to the lookback for
 *     counts and flags, at most the lookback otherwise
 */
public record FeatureDefinition(
    String name, int version, String description, String owner, TableId source, String eventTimeColumn, String filter,
    String value, Aggregation aggregation, int lookbackDays, int ttlDays) {

  public static final String ENTITY = "patient";
  public static final String DEFAULT_OWNER = "carelake-ml";

  public FeatureDefinition {
    if (name == null || !name.matches("[a-z][a-z0-9_]*")) {
      throw new IllegalArgumentException("feature name must be snake_case: " + name);
    }
    if (version < 1) {
      throw new IllegalArgumentException("feature " + name + " needs a version >= 1, got " + version);
    }
    if (lookbackDays <= 0) {
      throw new IllegalArgumentException("feature " + name + " needs a positive lookback, got " + lookbackDays);
    }
    if (ttlDays <= 0 || ttlDays > lookbackDays) {
      throw new IllegalArgumentException("feature " + name + " needs 0 < ttl <= lookback, got ttl " + ttlDays + " and lookback "
          + lookbackDays);
    }
    if (aggregation.zeroWhenEmpty() && ttlDays != lookbackDays) {
      throw new IllegalArgumentException("feature " + name + " is a " + aggregation + ": its TTL is its lookback window");
    }
    if (value == null && aggregation.needsValue()) {
      throw new IllegalArgumentException("feature " + name + " aggregates " + aggregation + " but has no value expression");
    }
    if (owner == null || owner.isBlank()) {
      throw new IllegalArgumentException("feature " + name + " needs an owner");
    }
  }

  /** A feature whose TTL is its whole lookback window, owned by the ML platform team. */
  public static FeatureDefinition of(String name, int version, String description, TableId source, String eventTimeColumn,
      String filter, String value, Aggregation aggregation, int lookbackDays) {
    return new FeatureDefinition(name, version, description, DEFAULT_OWNER, source, eventTimeColumn, filter, value, aggregation,
        lookbackDays, lookbackDays);
  }

  /** The same feature with a shorter TTL than its window. */
  public FeatureDefinition withTtl(int days) {
    return new FeatureDefinition(name, version, description, owner, source, eventTimeColumn, filter, value, aggregation, lookbackDays,
        days);
  }

  /**
   * SHA-256 over everything that decides the feature's values (not description or owner): a
   * training set records it, and a rebuild refuses to run when the definition has changed since.
   */
  public String definitionHash() {
    return Hashes.sha256(List.of(name, Integer.toString(version), source.qualifiedName(), eventTimeColumn, String.valueOf(filter),
        String.valueOf(value), aggregation.name(), Integer.toString(lookbackDays), Integer.toString(ttlDays)));
  }
}
