package org.carelake.pipelines.quality;

import com.amazon.deequ.checks.Check;
import com.amazon.deequ.checks.CheckLevel;
import com.amazon.deequ.constraints.Constraint;
import java.io.Serializable;
import scala.Option;
import scala.runtime.AbstractFunction1;

/** Java-friendly access to Deequ's Scala API (default arguments and assertion functions). */
final class Deequ {

  private Deequ() {}

  static Check check(Severity severity, String description) {
    return new Check(severity == Severity.ERROR ? CheckLevel.Error() : CheckLevel.Warning(), description,
        scala.collection.JavaConverters.asScalaBuffer(new java.util.ArrayList<Constraint>()).toSeq());
  }

  static Check complete(Check check, String column) {
    return check.isComplete(column, Option.empty(), Option.empty());
  }

  static Check unique(Check check, String column) {
    return check.isUnique(column, Option.empty(), Option.empty());
  }

  /** Every row satisfies the SQL predicate. */
  static Check allSatisfy(Check check, String predicate, String name) {
    return check.satisfies(predicate, name, Check.IsOne(), Option.empty(), scala.collection.immutable.List$.MODULE$.empty(),
        Option.empty());
  }

  static Check atLeastRows(Check check, long rows) {
    return check.hasSize(new AtLeast(rows), Option.empty());
  }

  /** Row count within [min, max] (either may be null). */
  static Check rowCount(Check check, Double min, Double max) {
    return check.hasSize(new Between(min, max), Option.empty());
  }

  /** The column's maximum is at least {@code min} (e.g. the newest event time, as epoch seconds). */
  static Check maxAtLeast(Check check, String column, double min, String name) {
    return check.hasMax(column, new Between(min, null), Option.apply(name), Option.empty());
  }

  /** Completeness of {@code column} among the rows {@code where} holds is at least {@code min}. */
  static Check completeWhere(Check check, String column, double min, String where) {
    return check.hasCompleteness(column, new Between(min, null), Option.apply("completeness where " + where), Option.empty()).where(where);
  }

  static Check containedIn(Check check, String column, String[] allowed) {
    return check.isContainedIn(column, allowed);
  }

  /** {@code min <= value <= max} (null: unbounded) as a serializable Deequ assertion. */
  static final class Between extends AbstractFunction1<Object, Object> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Double min;
    private final Double max;

    Between(Double min, Double max) {
      this.min = min;
      this.max = max;
    }

    @Override
    public Object apply(Object value) {
      double v = ((Number) value).doubleValue();
      return (min == null || v >= min) && (max == null || v <= max);
    }
  }

  /** {@code value >= min} as a Deequ assertion (serializable, no captured state but the bound). */
  static final class AtLeast extends AbstractFunction1<Object, Object> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final double min;

    AtLeast(double min) {
      this.min = min;
    }

    @Override
    public Object apply(Object value) {
      return ((Number) value).doubleValue() >= min;
    }
  }
}
