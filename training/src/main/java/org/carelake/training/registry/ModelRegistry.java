package org.carelake.training.registry;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.DeltaWriter;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.StagingFolders;
import org.carelake.core.TableId;
import org.carelake.core.report.Reports;

/**
 * Versioned, immutable model registry under {@code <lakehouse>/registry/<model>/v<N>/}: the MLlib
 * pipeline, its model card and its bias report. A version is staged in a hidden folder and then
 * moved into place atomically; an existing version is never overwritten, and its files are made
 * read-only. {@code ops.model_registry} indexes versions for SQL.
 */
public final class ModelRegistry {

  public static final TableId INDEX = TableId.ops("model_registry");
  public static final String CARD = "model-card.json";

  /** Where a version is assembled before it is moved into place (a {@link StagingFolders} folder). */
  static final String STAGING_PREFIX = ".staging-";

  /** A version's folder name: v1, v2, ... */
  private static final java.util.regex.Pattern VERSION_DIR = java.util.regex.Pattern.compile("v\\d+");

  static final StructType INDEX_SCHEMA = DataTypes.createStructType(new org.apache.spark.sql.types.StructField[] {
      DataTypes.createStructField("model", DataTypes.StringType, false),
      DataTypes.createStructField("version", DataTypes.IntegerType, false),
      DataTypes.createStructField("registered_at", DataTypes.TimestampType, false),
      DataTypes.createStructField("auroc_test", DataTypes.DoubleType, true),
      DataTypes.createStructField("training_set_hash", DataTypes.StringType, true),
      DataTypes.createStructField("path", DataTypes.StringType, false)});

  private final SparkSession spark;
  private final Lakehouse lakehouse;

  public ModelRegistry(SparkSession spark, Lakehouse lakehouse) {
    this.spark = spark;
    this.lakehouse = lakehouse;
  }

  public Path root() {
    return lakehouse.root().resolve("registry");
  }

  /** The models with at least one registered version, by name. */
  public List<String> models() {
    if (!Files.isDirectory(root())) {
      return List.of();
    }
    try (Stream<Path> children = Files.list(root())) {
      return children.filter(Files::isDirectory).filter(ModelRegistry::hasVersion).map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean hasVersion(Path modelDir) {
    try (Stream<Path> children = Files.list(modelDir)) {
      return children.anyMatch(p -> VERSION_DIR.matcher(p.getFileName().toString()).matches());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public List<ModelVersion> versions(String model) {
    Path dir = root().resolve(model);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> children = Files.list(dir)) {
      List<ModelVersion> out = new ArrayList<>();
      for (Path p : children.filter(p -> VERSION_DIR.matcher(p.getFileName().toString()).matches()).toList()) {
        out.add(read(model, Integer.parseInt(p.getFileName().toString().substring(1)), p));
      }
      out.sort(Comparator.comparingInt(ModelVersion::version));
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Registers a new version: the next number after the highest existing one. Concurrent registrations
   * cannot take the same number: the final move fails if the folder exists, and the next number is tried.
   */
  public ModelVersion register(String model, PipelineModel pipeline, Map<String, Object> card, Reports.Written biasReport) {
    Path modelDir = root().resolve(model);
    Path staging = StagingFolders.create(modelDir, STAGING_PREFIX);
    try {
      return register(model, modelDir, staging, pipeline, card, biasReport);
    } finally {
      StagingFolders.removeQuietly(staging);
    }
  }

  private ModelVersion register(String model, Path modelDir, Path staging, PipelineModel pipeline, Map<String, Object> card,
      Reports.Written biasReport) {
    try {
      pipeline.write().overwrite().save(staging.resolve("pipeline").toString());
      Files.copy(biasReport.html(), staging.resolve(ModelVersion.BIAS_REPORT_HTML));
      Files.copy(biasReport.json(), staging.resolve(ModelVersion.BIAS_REPORT_JSON));
      for (int attempt = 0; attempt < 100; attempt++) {
        int version = versions(model).stream().mapToInt(ModelVersion::version).max().orElse(0) + 1;
        Map<String, Object> full = new LinkedHashMap<>();
        full.put("model", model);
        full.put("version", version);
        full.put("registered_at", Instant.now().toString());
        full.putAll(card);
        Files.writeString(staging.resolve(CARD), Reports.JSON.writeValueAsString(full) + "\n");
        Path target = modelDir.resolve("v" + version);
        try {
          Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException taken) {
          continue;
        }
        makeReadOnly(target);
        indexMissing(model);
        return new ModelVersion(model, version, target, full);
      }
      throw new IllegalStateException("could not allocate a registry version for " + model);
    } catch (IOException e) {
      throw new UncheckedIOException("could not register model " + model, e);
    }
  }

  /**
   * Finishes what registrations of {@code model} that were killed part-way left behind, and returns
   * one line per repair: a version in place but missing from {@code ops.model_registry} is indexed;
   * a staging folder whose process has stopped (it never became a version) is removed. A staging
   * folder of a running process, or of another host, is left alone.
   */
  public List<String> recover(String model) {
    Path modelDir = root().resolve(model);
    if (!Files.isDirectory(modelDir)) {
      return List.of();
    }
    List<String> lines = new ArrayList<>(StagingFolders.removeAbandoned(modelDir, STAGING_PREFIX, "a version of " + model));
    for (int version : indexMissing(model)) {
      lines.add("Indexed " + model + " v" + version + " in " + INDEX.qualifiedName() + ": the process that registered it stopped "
          + "before adding it.");
    }
    return lines;
  }

  /** Adds the versions of {@code model} in place but not in the index to it; returns their numbers. */
  private List<Integer> indexMissing(String model) {
    java.util.Set<Integer> indexed = new java.util.HashSet<>();
    if (lakehouse.exists(INDEX)) {
      lakehouse.read(spark, INDEX).filter(org.apache.spark.sql.functions.col("model").equalTo(model)).select("version")
          .as(org.apache.spark.sql.Encoders.INT()).collectAsList().forEach(indexed::add);
    }
    List<ModelVersion> missing = versions(model).stream().filter(v -> !indexed.contains(v.version())).toList();
    if (missing.isEmpty()) {
      return List.of();
    }
    List<org.apache.spark.sql.Row> rows = new ArrayList<>();
    for (ModelVersion v : missing) {
      Object hash = ((Map<?, ?>) v.card().getOrDefault("lineage", Map.of())).get("training_set_hash");
      Object registeredAt = v.card().get("registered_at");
      Instant at = registeredAt == null ? Instant.now() : Instant.parse(registeredAt.toString());
      double auroc = v.metric("auroc_test");
      rows.add(RowFactory.create(model, v.version(), Timestamp.from(at), Double.isNaN(auroc) ? null : auroc,
          hash == null ? null : hash.toString(), v.directory().toString()));
    }
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      // Keyed on (model, version): a version indexed meanwhile by another process is not added twice.
      new DeltaWriter(spark, lakehouse, tx).upsertRows(spark.createDataFrame(rows, INDEX_SCHEMA), INDEX, List.of("model", "version"));
      tx.commit();
    }
    return missing.stream().map(ModelVersion::version).toList();
  }

  private static ModelVersion read(String model, int version, Path dir) throws IOException {
    Map<String, Object> card = Reports.JSON.readValue(dir.resolve(CARD).toFile(), new TypeReference<Map<String, Object>>() {});
    return new ModelVersion(model, version, dir, card);
  }

  private static void makeReadOnly(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.toList()) {
        if (Files.isRegularFile(p)) {
          p.toFile().setWritable(false, false);
        }
      }
    }
  }

  /** Loads a registered pipeline for scoring. */
  public PipelineModel load(ModelVersion version) {
    return PipelineModel.load(version.directory().resolve("pipeline").toString());
  }
}
