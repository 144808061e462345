package org.carelake.pipelines.gold;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.carelake.core.BuildLineage;
import org.carelake.core.Lakehouse;
import org.carelake.core.Progress;
import org.carelake.core.TableId;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.PatientSummarySchema;
import org.carelake.core.testing.SparkExtension;
import org.carelake.core.testing.TestKeys;
import org.carelake.pipelines.fhir.FhirIngestJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SparkExtension.class)
class PatientSummaryJobTest {

  private static final String PATIENT = "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\",\"birthDate\":\"1970-01-01\"}";

  private static String condition(String id) {
    return "{\"resourceType\":\"Condition\",\"id\":\"" + id + "\",\"subject\":{\"reference\":\"Patient/p1\"},"
        + "\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"59621000\"}]},\"onsetDateTime\":\"2020-01-01T00:00:00Z\"}";
  }

  private static void ingest(SparkSession spark, Lakehouse lakehouse, Path dir, List<String> lines) throws Exception {
    Path in = Files.createDirectories(dir);
    Files.write(in.resolve("export.ndjson"), lines);
    new FhirIngestJob(spark, lakehouse, TestKeys.pseudonymizer(), Progress.silent()).execute(FhirIngestJob.plan(in));
  }

  private static long conditions(SparkSession spark, Lakehouse lakehouse) {
    return lakehouse.read(spark, PatientSummarySchema.TABLE).head().getAs(PatientSummarySchema.CONDITION_COUNT);
  }

  @Test
  void buildIsSkippedWhileTheInputsStayAtTheVersionsItsLastBuildRead(SparkSession spark, @TempDir Path dir) throws Exception {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    ingest(spark, lakehouse, dir.resolve("first"), List.of(PATIENT, condition("c1")));

    PatientSummaryJob.Result first = new PatientSummaryJob(spark, lakehouse).execute();
    assertThat(first.upToDate()).isFalse();
    assertThat(conditions(spark, lakehouse)).isEqualTo(1);
    Row recorded = lakehouse.read(spark, BuildLineage.TABLE).head();
    assertThat(recorded.getString(0)).isEqualTo("gold.patient_summary");
    assertThat(recorded.getLong(1)).isEqualTo(first.write().versionAfter());
    Map<String, Long> read = recorded.getJavaMap(2);
    assertThat(read).as("the version of every input it read").hasSize(PatientSummaryJob.INPUTS.size())
        .containsEntry(ConditionSchema.TABLE.qualifiedName(), lakehouse.version(spark, ConditionSchema.TABLE).orElseThrow());

    PatientSummaryJob.Result again = new PatientSummaryJob(spark, lakehouse).execute();
    assertThat(again.upToDate()).as("no input moved since the last build").isTrue();
    assertThat(again.write().changed()).isFalse();
    assertThat(lakehouse.read(spark, BuildLineage.TABLE).count()).as("a skipped build records nothing").isEqualTo(1);

    ingest(spark, lakehouse, dir.resolve("second"), List.of(condition("c2")));
    PatientSummaryJob.Result afterNewData = new PatientSummaryJob(spark, lakehouse).execute();
    assertThat(afterNewData.upToDate()).as("silver.condition moved").isFalse();
    assertThat(conditions(spark, lakehouse)).isEqualTo(2);

    // the table written outside the job (a restore by hand): its rows no longer follow from the recorded inputs
    spark.sql("RESTORE TABLE delta.`" + lakehouse.tablePath(PatientSummarySchema.TABLE) + "` TO VERSION AS OF 0");
    assertThat(conditions(spark, lakehouse)).isEqualTo(1);
    PatientSummaryJob.Result afterRestore = new PatientSummaryJob(spark, lakehouse).execute();
    assertThat(afterRestore.upToDate()).isFalse();
    assertThat(conditions(spark, lakehouse)).as("rebuilt from the current silver").isEqualTo(2);
    assertThat(lakehouse.read(spark, BuildLineage.TABLE).where(col("table_name").equalTo("gold.patient_summary")).count())
        .isEqualTo(3);
    assertThat(new PatientSummaryJob(spark, lakehouse).execute().upToDate()).isTrue();
  }

  @Test
  void planReadsTheInputsAtTheGivenVersions(SparkSession spark, @TempDir Path dir) throws Exception {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    ingest(spark, lakehouse, dir.resolve("first"), List.of(PATIENT, condition("c1")));
    Map<TableId, Long> pinned = new BuildLineage(spark, lakehouse).currentVersions(PatientSummaryJob.INPUTS);
    ingest(spark, lakehouse, dir.resolve("second"), List.of(condition("c2")));

    Row summary = new PatientSummaryJob(spark, lakehouse).plan(pinned).head();
    assertThat((long) summary.getAs(PatientSummarySchema.CONDITION_COUNT)).as("c2 came after the pinned versions").isEqualTo(1);
  }
}
