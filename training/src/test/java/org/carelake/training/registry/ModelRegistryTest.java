package org.carelake.training.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.carelake.core.Lakehouse;
import org.carelake.core.ProcessOwner;
import org.carelake.core.StagingFolders;
import org.carelake.core.report.Reports;
import org.carelake.core.testing.LeftBehind;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SparkExtension.class)
class ModelRegistryTest {

  @Test
  void versionsAreNumberedImmutableAndIndexed(SparkSession spark, @TempDir Path dir) throws Exception {
    var schema = DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
        DataTypes.createStructField("x", DataTypes.DoubleType, false)});
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {
        new VectorAssembler().setInputCols(new String[] {"x"}).setOutputCol("v")})
        .fit(spark.createDataFrame(List.of(RowFactory.create(1.0)), schema));
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    Reports.Written bias = Reports.write(dir.resolve("reports"), "bias", "<html></html>", Map.of("ok", true));
    ModelRegistry registry = new ModelRegistry(spark, lakehouse);
    assertThat(registry.models()).as("an empty lakehouse has no registry yet").isEmpty();
    Map<String, Object> card = Map.of("metrics", Map.of("auroc_test", 0.75), "lineage", Map.of("training_set_hash", "abc"));

    ModelVersion v1 = registry.register("m", model, card, bias);
    ModelVersion v2 = registry.register("m", model, card, bias);

    assertThat(List.of(v1.version(), v2.version())).containsExactly(1, 2);
    assertThat(registry.versions("m")).extracting(ModelVersion::version).containsExactly(1, 2);
    registry.register("a-model", model, card, bias);
    Files.createDirectories(registry.root().resolve("not-a-model"));
    assertThat(registry.models()).as("models with a version, by name").containsExactly("a-model", "m");
    assertThat(registry.versions("unknown")).isEmpty();
    Path cardFile = v1.directory().resolve(ModelRegistry.CARD);
    assertThat(Files.getPosixFilePermissions(cardFile)).as("registered files are read-only")
        .doesNotContain(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    assertThat(Files.readString(v1.biasReport().html())).isEqualTo("<html></html>");
    assertThat(Files.readString(v1.biasReport().json())).contains("\"ok\"");
    ModelVersion read = registry.versions("m").get(0);
    assertThat(read.metric("auroc_test")).isEqualTo(0.75);
    assertThat(read.aurocTestText()).isEqualTo("0.750");
    assertThat(read.metric("max_tpr_gap")).as("a metric the card does not hold").isNaN();
    assertThat(new ModelVersion("m", 3, v1.directory(), Map.of()).aurocTestText()).as("a card without metrics").isEqualTo("undefined");
    assertThat(registry.load(v2).stages()).hasSize(1);
    lakehouse.registerTables(spark);
    assertThat(spark.sql("SELECT max(version) FROM ops.model_registry WHERE model = 'm'").head().getInt(0)).isEqualTo(2);
  }

  @Test
  void recoveryFinishesRegistrationsKilledPartWay(SparkSession spark, @TempDir Path dir) throws Exception {
    Lakehouse lakehouse = new Lakehouse(dir.resolve("lh"));
    ModelRegistry registry = new ModelRegistry(spark, lakehouse);
    Reports.Written bias = Reports.write(dir.resolve("reports"), "bias", "<html></html>", Map.of("ok", true));
    Map<String, Object> card = Map.of("metrics", Map.of("auroc_test", 0.75), "lineage", Map.of("training_set_hash", "abc"));
    registry.register("m", model(spark), card, bias);
    ModelVersion v2 = registry.register("m", model(spark), card, bias);
    Path modelDir = registry.root().resolve("m");
    assertThat(stagingFiles(modelDir)).as("a registration leaves no staging behind").isEmpty();

    // Killed after v2 was moved into place, before its index row: the row is missing.
    io.delta.tables.DeltaTable.forPath(spark, lakehouse.tablePath(ModelRegistry.INDEX).toString()).delete("version = 2");
    // Killed while staging, and staging now (this process). StagingFoldersTest covers the other cases.
    Path dead = LeftBehind.stagingFolder(modelDir, ModelRegistry.STAGING_PREFIX + "dead", LeftBehind.stoppedProcess());
    Path live = LeftBehind.stagingFolder(modelDir, ModelRegistry.STAGING_PREFIX + "live", ProcessOwner.current());

    List<String> lines = registry.recover("m");

    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith("Removed " + dead + ": a version of m left by process");
    assertThat(lines.get(1)).startsWith("Indexed m v2 in ops.model_registry");
    assertThat(dead).doesNotExist();
    assertThat(live).exists();
    List<org.apache.spark.sql.Row> index = lakehouse.read(spark, ModelRegistry.INDEX).orderBy("version").collectAsList();
    assertThat(index).extracting(r -> r.<Integer>getAs("version")).containsExactly(1, 2);
    assertThat(index.get(1).<String>getAs("path")).isEqualTo(v2.directory().toString());
    assertThat(index.get(1).<java.sql.Timestamp>getAs("registered_at").toInstant())
        .isEqualTo(java.time.Instant.parse((String) v2.card().get("registered_at")).truncatedTo(java.time.temporal.ChronoUnit.MICROS));
    assertThat(registry.recover("m")).as("nothing left to recover").isEmpty();
    assertThat(registry.versions("m")).extracting(ModelVersion::version).containsExactly(1, 2);

    // A registration that fails part-way removes its own staging.
    Reports.Written missing = new Reports.Written(dir.resolve("none.html"), dir.resolve("none.json"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> registry.register("m", model(spark), card, missing))
        .isInstanceOf(java.io.UncheckedIOException.class);
    assertThat(stagingFiles(modelDir)).containsExactlyInAnyOrder(live.getFileName().toString(),
        live.getFileName() + StagingFolders.OWNER_SUFFIX);
    assertThat(registry.versions("m")).hasSize(2);
  }

  private static PipelineModel model(SparkSession spark) {
    var schema = DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
        DataTypes.createStructField("x", DataTypes.DoubleType, false)});
    return new Pipeline().setStages(new PipelineStage[] {new VectorAssembler().setInputCols(new String[] {"x"}).setOutputCol("v")})
        .fit(spark.createDataFrame(List.of(RowFactory.create(1.0)), schema));
  }

  private static List<String> stagingFiles(Path modelDir) throws Exception {
    try (var children = Files.list(modelDir)) {
      return children.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(ModelRegistry.STAGING_PREFIX)).toList();
    }
  }
}
