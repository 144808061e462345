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
import org.carelake.core.report.Reports;
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
    assertThat(Files.exists(v1.directory().resolve("bias-report.html"))).isTrue();
    assertThat(((Map<?, ?>) registry.versions("m").get(0).card().get("metrics")).get("auroc_test")).isEqualTo(0.75);
    assertThat(registry.load(v2).stages()).hasSize(1);
    lakehouse.registerTables(spark);
    assertThat(spark.sql("SELECT max(version) FROM ops.model_registry WHERE model = 'm'").head().getInt(0)).isEqualTo(2);
  }
}
