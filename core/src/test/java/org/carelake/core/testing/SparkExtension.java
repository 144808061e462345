package org.carelake.core.testing;

import org.apache.spark.sql.SparkSession;
import org.carelake.core.spark.SparkSessions;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands tests the one SparkSession of this test JVM: {@code local[2]}, UI off, two shuffle
 * partitions, UTC, Delta enabled. Built on first use and stopped when the JVM ends; never one per test.
 */
public final class SparkExtension implements ParameterResolver {

  private static SparkSession spark;

  public static synchronized SparkSession spark() {
    if (spark == null) {
      spark = SparkSessions.create("local[2]", "carelake-tests", 2);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> spark.stop()));
    }
    return spark;
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == SparkSession.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return spark();
  }
}
