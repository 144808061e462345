package org.carelake.core;

/**
 * What one write did to one table: versions before and after and the row changes. A write that
 * found nothing to change makes no commit, so {@code versionAfter == versionBefore}.
 */
public record TableWrite(TableId table, long versionBefore, long versionAfter, long inserted, long updated, long deleted) {

  /** The version a table has before its first commit. */
  public static final long NO_VERSION = -1L;

  public boolean changed() {
    return versionAfter != versionBefore;
  }
}
