package org.carelake.core;

import java.util.Locale;

/** The medallion layers, plus {@code ops} for the platform's own records (runs, quality, registry). */
public enum Layer {
  BRONZE,
  SILVER,
  GOLD,
  OPS;

  /** The SQL database name and folder name of this layer. */
  public String dbName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
