package org.carelake.features;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Date;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.TableId;
import org.carelake.core.schema.GenomicResultSchema;
import org.carelake.core.schema.WearableDailySchema;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SparkExtension.class)
class LifestyleGenomicFeaturesTest {

  private static final FeatureSet SET = new FeatureSet("t", List.of(
      LifestyleGenomicFeatures.wearableMean("steps_30d", WearableDailySchema.STEPS, "steps"),
      LifestyleGenomicFeatures.prs("prs_cad", "PGS000018", "coronary artery disease"),
      LifestyleGenomicFeatures.pgx("slco1b1", "SLCO1B1 rs4149056", "SLCO1B1*5")));

  private static Row day(String patient, String day, double steps, double coverage) {
    return RowFactory.create(patient, Date.valueOf(day), Timestamp.valueOf(day + " 23:59:59"), steps, null, null, null, null, null, null,
        coverage);
  }

  @Test
  void wearableMeansSkipPoorlyCoveredDaysAndGenomicResultsAreOnlyKnownOnceResulted(SparkSession spark) {
    List<Row> days = new ArrayList<>();
    for (int d = 1; d <= 20; d++) {
      days.add(day("a", String.format("2024-05-%02d", d), 8000, 0.9));
    }
    days.add(day("a", "2024-05-21", 100, 0.1));           // barely worn: ignored
    days.add(day("a", "2024-06-20", 99999, 1.0));         // after the as-of time: never used
    Dataset<Row> wearable = spark.createDataFrame(days, WearableDailySchema.SCHEMA);
    Dataset<Row> prs = spark.createDataFrame(List.of(
        RowFactory.create("a", "PGS000018", 1.25, 70, 77, Timestamp.valueOf("2024-01-01 00:00:00"), "sa"),
        RowFactory.create("b", "PGS000018", -0.5, 70, 77, Timestamp.valueOf("2024-07-01 00:00:00"), "sb")), GenomicResultSchema.PRS_SCHEMA);
    Dataset<Row> pgx = spark.createDataFrame(List.of(
        RowFactory.create("a", "SLCO1B1 rs4149056", 0, "tested", Timestamp.valueOf("2024-01-01 00:00:00"), "sa", "SLCO1B1", "*5", "rs4149056"),
        RowFactory.create("b", "SLCO1B1 rs4149056", null, "not_tested", Timestamp.valueOf("2024-01-01 00:00:00"), "sb", "SLCO1B1", "*5", "rs4149056")),
        GenomicResultSchema.PGX_SCHEMA);
    StructType patientSchema = org.carelake.core.schema.PatientSchema.SCHEMA;
    Dataset<Row> patients = spark.createDataFrame(List.of(
        RowFactory.create("a", "female", Date.valueOf("1970-01-01"), null, null, null, null, null, null, null, null, null, "h", "r"),
        RowFactory.create("b", "male", Date.valueOf("1970-01-01"), null, null, null, null, null, null, null, null, null, "h", "r")),
        patientSchema);
    Map<TableId, Dataset<Row>> tables = Map.of(WearableDailySchema.TABLE, wearable, GenomicResultSchema.PRS, prs,
        GenomicResultSchema.PGX_MARKER, pgx, org.carelake.core.schema.PatientSchema.TABLE, patients);
    Dataset<Row> entities = spark.createDataFrame(List.of(RowFactory.create("a", Timestamp.valueOf("2024-06-01 00:00:00")),
        RowFactory.create("b", Timestamp.valueOf("2024-06-01 00:00:00"))), DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
            DataTypes.createStructField("patient_key", DataTypes.StringType, false),
            DataTypes.createStructField("as_of", DataTypes.TimestampType, false)}));
    List<Row> rows;
    try (FeatureStore store = new FeatureStore(tables::get)) {
      rows = store.features(entities, SET).orderBy("patient_key").collectAsList();
    }
    Row a = rows.get(0);
    Row b = rows.get(1);
    assertThat((Double) a.getAs("steps_30d")).isEqualTo(8000.0);
    assertThat((Double) a.getAs("prs_cad")).isEqualTo(1.25);
    assertThat((Double) a.getAs("slco1b1")).as("tested, no risk allele: 0").isEqualTo(0.0);
    assertThat((Double) b.getAs("steps_30d")).isNull();
    assertThat((Double) b.getAs("prs_cad")).as("resulted after the as-of time: not known then").isNull();
    assertThat((Double) b.getAs("slco1b1")).as("not tested is not reference").isNull();
    assertThat(SET.sourceTables()).containsExactly(WearableDailySchema.TABLE, GenomicResultSchema.PRS, GenomicResultSchema.PGX_MARKER);
  }
}
