package org.carelake.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.carelake.core.TableId;
import org.carelake.core.schema.ObservationSchema;

/**
 * One row per measured value: each observation's own value plus each of its components (so the
 * systolic and diastolic parts of a blood pressure panel are measurements with their own LOINC).
 */
public final class Measurements {

  /** A virtual source name for feature definitions over measurements. */
  public static final TableId SOURCE = TableId.silver("measurement");

  public static final String PATIENT_KEY = ObservationSchema.PATIENT_KEY;
  public static final String EFFECTIVE_TIME = ObservationSchema.EFFECTIVE_TIME;
  public static final String CODE_SYSTEM = ObservationSchema.CODE_SYSTEM;
  public static final String CODE = ObservationSchema.CODE;
  public static final String VALUE = ObservationSchema.VALUE_QUANTITY;
  public static final String UNIT = ObservationSchema.VALUE_UNIT;

  private Measurements() {}

  public static Dataset<Row> flatten(Dataset<Row> observations) {
    Dataset<Row> own = observations.filter(col(ObservationSchema.VALUE_QUANTITY).isNotNull())
        .select(col(PATIENT_KEY), col(EFFECTIVE_TIME), col(CODE_SYSTEM), col(CODE), col(VALUE), col(UNIT));
    Dataset<Row> parts = observations.filter(col(ObservationSchema.COMPONENTS).isNotNull())
        .select(col(PATIENT_KEY), col(EFFECTIVE_TIME), explode(col(ObservationSchema.COMPONENTS)).as("c"))
        .filter(col("c." + ObservationSchema.VALUE_QUANTITY).isNotNull())
        .select(col(PATIENT_KEY), col(EFFECTIVE_TIME), col("c." + ObservationSchema.CODE_SYSTEM).as(CODE_SYSTEM),
            col("c." + ObservationSchema.CODE).as(CODE),
            col("c." + ObservationSchema.VALUE_QUANTITY).as(VALUE), col("c." + ObservationSchema.VALUE_UNIT).as(UNIT));
    return own.unionByName(parts);
  }
}
