package org.carelake.core.testing;

import java.sql.Date;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.DeltaWriter;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.TableId;
import org.carelake.core.schema.ClaimSchema;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.schema.MedicationRequestSchema;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.schema.PatientSchema;

/** Hand-made silver rows for tests that need a few patients with known histories. */
public final class SilverRows {

  public static final String SNOMED = "http://snomed.info/sct";
  public static final String LOINC = "http://loinc.org";
  public static final String RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";

  private SilverRows() {}

  /** Noon UTC on a date, e.g. {@code t("2016-01-01")}. */
  public static Timestamp t(String date) {
    return Timestamp.valueOf(date + " 12:00:00");
  }

  public static Row patient(String key, String gender, String birth, String race, String ethnicity) {
    return RowFactory.create(key, gender, Date.valueOf(birth), null, null, race, null, ethnicity, "MA", "021", null, null, "h", "r");
  }

  public static Row patient(String key, String birth) {
    return patient(key, "female", birth, null, null);
  }

  public static Row condition(String key, String patient, String code, String onset) {
    return RowFactory.create(key, patient, null, SNOMED, code, null, "active", null, t(onset), null, null, null, null, "h", "r");
  }

  public static Row encounter(String key, String patient, String code, String start) {
    return RowFactory.create(key, patient, "finished", "AMB", SNOMED, code, "exam", t(start), t(start), null, null, "h", "r");
  }

  public static Row medication(String key, String patient, String rxnorm, String authored) {
    return RowFactory.create(key, patient, null, "active", "order", RXNORM, rxnorm, null, t(authored), null, null, "h", "r");
  }

  public static Row observation(String key, String patient, String loinc, double value, String unit, String effective) {
    return RowFactory.create(key, patient, null, "final", "vital-signs", LOINC, loinc, null, t(effective), value, unit, null, null, null,
        null, null, null, "h", "r");
  }

  /** A claim naming {@code payer} (null: none), created at noon UTC on {@code created}. */
  public static Row claim(String key, String patient, String payer, String created) {
    return RowFactory.create(key, patient, "active", "professional", payer, t(created), 100.0, "USD", null, null, "h", "r");
  }

  /** The core silver tables as DataFrames (empty where no rows are given). */
  public static final class Tables {
    public final List<Row> patients = new ArrayList<>();
    public final List<Row> encounters = new ArrayList<>();
    public final List<Row> conditions = new ArrayList<>();
    public final List<Row> medications = new ArrayList<>();
    public final List<Row> observations = new ArrayList<>();
    public final List<Row> claims = new ArrayList<>();

    public Dataset<Row> get(SparkSession spark, TableId table) {
      if (table.equals(PatientSchema.TABLE)) {
        return spark.createDataFrame(patients, PatientSchema.SCHEMA);
      } else if (table.equals(EncounterSchema.TABLE)) {
        return spark.createDataFrame(encounters, EncounterSchema.SCHEMA);
      } else if (table.equals(ConditionSchema.TABLE)) {
        return spark.createDataFrame(conditions, ConditionSchema.SCHEMA);
      } else if (table.equals(MedicationRequestSchema.TABLE)) {
        return spark.createDataFrame(medications, MedicationRequestSchema.SCHEMA);
      } else if (table.equals(ObservationSchema.TABLE)) {
        return spark.createDataFrame(observations, ObservationSchema.SCHEMA);
      } else if (table.equals(ClaimSchema.TABLE)) {
        return spark.createDataFrame(claims, ClaimSchema.SCHEMA);
      }
      throw new IllegalArgumentException("no test rows for " + table);
    }

    /** Writes (or upserts) all six tables into a lakehouse, as the ingest would. */
    public void writeTo(SparkSession spark, Lakehouse lakehouse) {
      try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
        DeltaWriter writer = new DeltaWriter(spark, lakehouse, tx);
        for (TableId table : List.of(PatientSchema.TABLE, EncounterSchema.TABLE, ConditionSchema.TABLE, MedicationRequestSchema.TABLE,
            ObservationSchema.TABLE, ClaimSchema.TABLE)) {
          // A changed row gets a changed content hash, as the ingest would give it.
          Dataset<Row> rows = get(spark, table).withColumn("content_hash", org.apache.spark.sql.functions.sha2(
              org.apache.spark.sql.functions.to_json(org.apache.spark.sql.functions.struct(org.apache.spark.sql.functions.col("*"))), 256));
          writer.upsert(rows, table, List.of(rows.columns()[0]), "content_hash", null);
        }
        tx.commit();
      }
    }
  }
}
