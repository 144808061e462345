package org.carelake.core;

/**
 * Small-cell suppression for anything a reviewer reads: a count of 1 to 10 could single out a
 * patient, so it is shown as {@code "<11"} and rates computed from it are withheld.
 */
public final class Suppression {

  /** Smallest count that may be shown. */
  public static final int MIN_CELL = 11;

  public static final String SUPPRESSED = "<" + MIN_CELL;

  private Suppression() {}

  public static boolean suppressed(long count) {
    return count > 0 && count < MIN_CELL;
  }

  /** The count as a reviewer may see it. */
  public static String display(long count) {
    return suppressed(count) ? SUPPRESSED : Long.toString(count);
  }
}
