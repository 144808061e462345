package org.carelake.core.spark;

import java.util.Arrays;
import java.util.List;

/** Scala sequences for Spark's Scala-typed Java API (join columns and the like). */
public final class Seqs {

  private Seqs() {}

  public static scala.collection.Seq<String> of(String... values) {
    return of(Arrays.asList(values));
  }

  public static <T> scala.collection.Seq<T> of(List<T> values) {
    return scala.collection.JavaConverters.asScalaBuffer(values).toSeq();
  }
}
