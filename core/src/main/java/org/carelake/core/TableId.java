package org.carelake.core;

import java.util.regex.Pattern;

/** A lakehouse table: its layer and name, e.g. {@code silver.patient}. */
public record TableId(Layer layer, String name) implements java.io.Serializable {

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");

  public TableId {
    if (layer == null || name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("table name must match " + NAME + ": " + name);
    }
  }

  public static TableId bronze(String name) {
    return new TableId(Layer.BRONZE, name);
  }

  public static TableId silver(String name) {
    return new TableId(Layer.SILVER, name);
  }

  public static TableId gold(String name) {
    return new TableId(Layer.GOLD, name);
  }

  public static TableId ops(String name) {
    return new TableId(Layer.OPS, name);
  }

  /** Parses {@code layer.table}, e.g. {@code silver.patient}. */
  public static TableId parse(String qualifiedName) {
    String[] parts = qualifiedName.split("\\.", 2);
    for (Layer layer : Layer.values()) {
      if (parts.length == 2 && layer.dbName().equals(parts[0])) {
        return new TableId(layer, parts[1]);
      }
    }
    throw new IllegalArgumentException("not a table name of the form layer.table: " + qualifiedName);
  }

  /** The name SQL uses, {@code layer.table}. */
  public String qualifiedName() {
    return layer.dbName() + "." + name;
  }

  @Override
  public String toString() {
    return qualifiedName();
  }
}
