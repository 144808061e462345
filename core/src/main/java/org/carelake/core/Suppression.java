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

  /**
   * Which cells of a table of counts to withhold, so that no count of 1 to 10 can be read or
   * derived. Rows are successive steps (e.g. attrition rules) whose totals are published; columns
   * are disjoint groups. A cell is withheld when it is small; when it differs by 1 to 10 from the
   * last shown count of its group in an earlier row (a difference would reveal how few a rule
   * removed); and, complementarily, when it is the smallest remaining cell in a row where exactly
   * one nonzero cell is withheld (the row total would reveal it).
   */
  public static boolean[][] withheld(long[][] counts) {
    int rows = counts.length;
    int cols = rows == 0 ? 0 : counts[0].length;
    boolean[][] out = new boolean[rows][cols];
    boolean changed = true;
    while (changed) {
      changed = false;
      for (int g = 0; g < cols; g++) {
        Long lastShown = null;
        for (int s = 0; s < rows; s++) {
          long c = counts[s][g];
          if (!out[s][g] && (suppressed(c) || lastShown != null && lastShown - c > 0 && lastShown - c < MIN_CELL)) {
            out[s][g] = true;
            changed = true;
          }
          if (!out[s][g]) {
            lastShown = c;
          }
        }
      }
      for (int s = 0; s < rows; s++) {
        int hidden = 0;
        int smallest = -1;
        for (int g = 0; g < cols; g++) {
          if (out[s][g] && counts[s][g] > 0) {
            hidden++;
          } else if (!out[s][g] && counts[s][g] > 0 && (smallest < 0 || counts[s][g] < counts[s][smallest])) {
            smallest = g;
          }
        }
        if (hidden == 1 && smallest >= 0) {
          out[s][smallest] = true;
          changed = true;
        }
      }
    }
    return out;
  }
}
