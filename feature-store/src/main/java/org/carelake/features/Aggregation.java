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
  /** Least-squares slope of the value over time, per 365 days (needs two events at different times). */
  SLOPE,
  /** Days from the latest event to the as-of time. */
  DAYS_SINCE;

  /** Whether the aggregation reads the definition's value expression. */
  public boolean needsValue() {
    return this == LAST || this == MEAN || this == MIN || this == MAX || this == SLOPE;
  }

  /** Whether the result is a count-like value that is 0 (not null) when no event is in the window. */
  public boolean zeroWhenEmpty() {
    return this == COUNT || this == EXISTS;
  }
}
