package org.carelake.features;

/** How a feature reduces the events in its window to one value. */
public enum Aggregation {
  /** Number of events. */
  COUNT,
  /** 1.0 if any event, else 0.0. */
  EXISTS,
  /** Value of the latest event (ties broken by the larger value, deterministically). */
  LAST,
  MEAN,
  MIN,
  MAX,
  /** Days from the latest event to the as-of time. */
  DAYS_SINCE
}
