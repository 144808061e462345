package org.carelake.training;

import static org.apache.spark.sql.functions.col;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.CareLakeException;
import org.carelake.core.DeltaWriter;
import org.carelake.core.Hashes;
import org.carelake.core.Lakehouse;
import org.carelake.core.LakehouseTransaction;
import org.carelake.core.SensitiveGroups;
import org.carelake.core.TableId;
import org.carelake.core.TableWrite;
import org.carelake.core.schema.ClaimSchema;
import org.carelake.core.schema.PatientSchema;
import org.carelake.features.FeatureDefinition;
import org.carelake.features.FeatureSet;
import org.carelake.features.FeatureSets;
import org.carelake.features.FeatureStore;
import org.carelake.features.PointInTimeJoin;
import org.carelake.training.cohort.Cohort;
import org.carelake.training.cohort.CohortBuilder;
import org.carelake.training.cohort.CohortDefinition;
import org.carelake.training.cohort.CohortSchema;

/**
 * Training sets: cohort rows joined point-in-time to a feature set, with the sensitive groups the
 * fairness audit needs. Each one is recorded in {@code ops.training_set} with the cohort
 * definition (text and hash), every feature's definition hash, the Delta version of every input,
 * the row count and a content hash, and can be rebuilt from that record by time travel.
 */
public final class TrainingSets {

  public static final TableId RECORDS = TableId.ops("training_set");

  static final StructType RECORD_SCHEMA = DataTypes.createStructType(new StructField[] {
      DataTypes.createStructField("id", DataTypes.StringType, false),
      DataTypes.createStructField("created_at", DataTypes.TimestampType, false),
      DataTypes.createStructField("cohort", DataTypes.StringType, false),
      DataTypes.createStructField("cohort_definition_hash", DataTypes.StringType, false),
      DataTypes.createStructField("cohort_definition", DataTypes.StringType, false),
      DataTypes.createStructField("feature_set", DataTypes.StringType, false),
      DataTypes.createStructField("feature_hashes", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType), false),
      DataTypes.createStructField("input_versions", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType), false),
      DataTypes.createStructField("row_count", DataTypes.LongType, false),
      DataTypes.createStructField("content_hash", DataTypes.StringType, false),
      DataTypes.createStructField("table_name", DataTypes.StringType, false),
      DataTypes.createStructField("table_version", DataTypes.LongType, false),
      // added with payer type; null in records made before, which used SensitiveGroups.BEFORE_PAYER_TYPE
      DataTypes.createStructField("sensitive_groups", DataTypes.StringType, true)});

  /** One recorded training set, with the sensitive groups its rows carry. */
  public record Record(String id, Instant createdAt, String cohort, String cohortDefinitionHash, String cohortDefinition,
      String featureSet, Map<String, String> featureHashes, Map<String, Long> inputVersions, long rowCount, String contentHash,
      String tableName, long tableVersion, SensitiveGroups groups) {}

  /**
   * A built training set: its record, the cohort (with attrition) and the rows (computed once, as a
   * local checkpoint with a short plan; Spark frees it when it is no longer referenced).
   */
  public record Built(Record record, Cohort cohort, Dataset<Row> rows, List<String> featureColumns, boolean newlyRecorded,
      Map<String, Long> outputVersions) {}

  /** A rebuild: the recorded and the rebuilt content hash, and where the rows were written. */
  public record Rebuilt(Record record, String contentHash, long rowCount, Path output) {
    public boolean identical() {
      return record.contentHash().equals(contentHash) && record.rowCount() == rowCount;
    }
  }

  private final SparkSession spark;
  private final Lakehouse lakehouse;
  private final SensitiveGroups groups;
  private final Function<String, FeatureSet> featureSets;

  public TrainingSets(SparkSession spark, Lakehouse lakehouse, SensitiveGroups groups) {
    this(spark, lakehouse, groups, FeatureSets::byName);
  }

  /**
   * @param groups the sensitive groups new training sets carry (a rebuild uses the recorded ones)
   * @param featureSets resolves a recorded feature set name to its current definition
   */
  public TrainingSets(SparkSession spark, Lakehouse lakehouse, SensitiveGroups groups, Function<String, FeatureSet> featureSets) {
    this.spark = spark;
    this.lakehouse = lakehouse;
    this.groups = groups;
    this.featureSets = featureSets;
  }

  public static TableId cohortTable(CohortDefinition definition) {
    return TableId.gold("cohort_" + definition.name().replace('-', '_'));
  }

  public static TableId trainsetTable(CohortDefinition definition) {
    return TableId.gold("trainset_" + definition.name().replace('-', '_'));
  }

  /** The feature columns of a training set built with this feature set, in column order. */
  public static List<String> featureColumns(FeatureSet set) {
    List<String> columns = new ArrayList<>(List.of(FeatureStore.AGE_AT_AS_OF, FeatureStore.SEX_FEMALE));
    columns.addAll(set.names());
    return columns;
  }

  /**
   * The training set as a pure function of the definition, the feature set, the sensitive groups
   * and the tables read: cohort rows, {@code as_of} = index time, demographics, every feature, and
   * each patient's groups at the index date (age band from the age at index, payer type from the
   * latest claim created by then), as the model would meet the patient.
   */
  public static Dataset<Row> assemble(Cohort cohort, FeatureSet set, SensitiveGroups groups, Function<TableId, Dataset<Row>> read,
      FeatureStore store) {
    Dataset<Row> entities = cohort.rows().withColumn(PointInTimeJoin.AS_OF, col(CohortSchema.INDEX_TIME));
    Dataset<Row> withFeatures = store.features(entities, set);
    Dataset<Row> patientGroups = read.apply(PatientSchema.TABLE).select(col(PatientSchema.PATIENT_KEY).as(CohortSchema.PATIENT_KEY),
        SensitiveGroups.sex(), SensitiveGroups.race(), SensitiveGroups.ethnicity());
    List<org.apache.spark.sql.Column> columns = new ArrayList<>();
    for (String c : List.of(CohortSchema.PATIENT_KEY, CohortSchema.INDEX_TIME, CohortSchema.AGE_AT_INDEX, CohortSchema.OUTCOME_LABEL,
        CohortSchema.OUTCOME_TIME, CohortSchema.TAR_END, PointInTimeJoin.AS_OF)) {
      columns.add(col(c));
    }
    featureColumns(set).forEach(f -> columns.add(col(f)));
    groups.attributes().forEach(g -> columns.add(col(g)));
    Dataset<Row> rows = withFeatures.join(patientGroups, CohortSchema.PATIENT_KEY, "left")
        .withColumn(SensitiveGroups.AGE_BAND, groups.ageBand(col(CohortSchema.AGE_AT_INDEX)));
    if (groups.usesClaims()) {
      rows = groups.withPayerType(rows, col(CohortSchema.INDEX_TIME), read.apply(ClaimSchema.TABLE));
    }
    return rows.select(columns.toArray(new org.apache.spark.sql.Column[0])).orderBy(CohortSchema.PATIENT_KEY);
  }

  /**
   * Builds the training set from pinned inputs, writes {@code gold.cohort_<name>} and
   * {@code gold.trainset_<name>}, and records it. The id is derived from what determines the
   * content, so building again from the same inputs finds the same record and adds none.
   */
  public Built create(CohortDefinition definition, FeatureSet set, PinnedInputs inputs) {
    Cohort cohort = new CohortBuilder(inputs::read, groups).build(definition);
    Dataset<Row> rows = materialize(cohort, set, groups, inputs);
    String contentHash = Hashes.contentHash(rows);
    long count = rows.count();
    Map<String, String> featureHashes = featureHashes(set);
    String id = id(definition, set, inputs);

    Map<String, Long> outputs = new LinkedHashMap<>();
    TableWrite trainset;
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      DeltaWriter writer = new DeltaWriter(spark, lakehouse, tx);
      TableWrite cohortWrite = writer.replace(cohort.rows().orderBy(CohortSchema.PATIENT_KEY), cohortTable(definition));
      trainset = writer.replace(rows, trainsetTable(definition));
      outputs.put(cohortWrite.table().qualifiedName(), cohortWrite.versionAfter());
      outputs.put(trainset.table().qualifiedName(), trainset.versionAfter());
      tx.commit();
    }
    Record existing = find(id);
    if (existing != null) {
      if (!existing.contentHash().equals(contentHash)) {
        throw new IllegalStateException("training set " + id + " was rebuilt from the same inputs with a different content hash ("
            + existing.contentHash() + " recorded, " + contentHash + " now): a non-deterministic step crept in");
      }
      return new Built(existing, cohort, rows, featureColumns(set), false, outputs);
    }
    Record record = new Record(id, Instant.now(), definition.name(), definition.sourceHash(), definition.sourceText(), set.name(),
        featureHashes, inputs.versions(), count, contentHash, trainset.table().qualifiedName(), trainset.versionAfter(), groups);
    try (LakehouseTransaction tx = new LakehouseTransaction(spark, lakehouse)) {
      new DeltaWriter(spark, lakehouse, tx).append(spark.createDataFrame(List.of(RowFactory.create(record.id(),
          Timestamp.from(record.createdAt()), record.cohort(), record.cohortDefinitionHash(), record.cohortDefinition(),
          record.featureSet(), record.featureHashes(), record.inputVersions(), record.rowCount(), record.contentHash(),
          record.tableName(), record.tableVersion(), record.groups().toJson())), RECORD_SCHEMA), RECORDS);
      tx.commit();
    }
    return new Built(record, cohort, rows, featureColumns(set), true, outputs);
  }

  /**
   * The id {@link #create} gives the training set of these inputs: a hash of what determines its
   * content (the cohort definition, each feature's definition, the pinned Delta versions and the
   * sensitive groups), known before anything is built.
   */
  public String id(CohortDefinition definition, FeatureSet set, PinnedInputs inputs) {
    return "ts-" + Hashes.sha256(List.of(definition.sourceHash(), set.name(), featureHashes(set).toString(),
        inputs.versions().toString(), groups.toJson())).substring(0, 16);
  }

  /**
   * Rebuilds a recorded training set from the recorded Delta versions, definitions and sensitive
   * groups, and compares content hashes. Refuses when a feature's definition has changed since (its
   * hash differs).
   *
   * @param output folder to write the rebuilt rows to as Parquet, or null to only verify
   */
  public Rebuilt rebuild(String id, Path output) {
    Record record = find(id);
    if (record == null) {
      throw CareLakeException.badInput("No training set " + id + " is recorded in " + RECORDS + ".",
          "list them with ./carelake sql \"SELECT id, cohort, feature_set, created_at FROM ops.training_set\"");
    }
    FeatureSet set = featureSets.apply(record.featureSet());
    Map<String, String> now = featureHashes(set);
    if (!now.equals(record.featureHashes())) {
      List<String> changed = new ArrayList<>();
      record.featureHashes().forEach((f, h) -> {
        if (!h.equals(now.get(f))) {
          changed.add(f);
        }
      });
      now.keySet().stream().filter(f -> !record.featureHashes().containsKey(f)).forEach(changed::add);
      throw CareLakeException.badInput("Feature set " + set.name() + " has changed since training set " + id + " was built: " + changed
          + ".", "rebuild with the CareLake version that built it, or build a new training set.");
    }
    CohortDefinition definition = CohortDefinition.parse(record.cohortDefinition(), "the definition recorded with " + id);
    PinnedInputs inputs = PinnedInputs.recorded(spark, lakehouse, record.inputVersions());
    Cohort cohort = new CohortBuilder(inputs::read, record.groups()).build(definition);
    Dataset<Row> rows = materialize(cohort, set, record.groups(), inputs);
    String hash = Hashes.contentHash(rows);
    long count = rows.count();
    if (output != null) {
      rows.write().mode("overwrite").parquet(output.toString());
    }
    return new Rebuilt(record, hash, count, output);
  }

  /**
   * The training set, computed once (the feature store's own caches are released). A local
   * checkpoint rather than a cache: the rows' plan (cohort, four point-in-time joins, groups) is
   * long, and with a cache every later step (content hash, write, each of MLlib's many
   * transformations in training) analyzed all of it again before finding the cached data; a
   * checkpoint's plan is one node.
   */
  private static Dataset<Row> materialize(Cohort cohort, FeatureSet set, SensitiveGroups groups, PinnedInputs inputs) {
    try (FeatureStore store = new FeatureStore(inputs::read)) {
      return assemble(cohort, set, groups, inputs::read, store).localCheckpoint(true);
    }
  }

  public Record find(String id) {
    if (!lakehouse.exists(RECORDS)) {
      return null;
    }
    List<Row> rows = lakehouse.read(spark, RECORDS).filter(col("id").equalTo(id)).collectAsList();
    return rows.isEmpty() ? null : record(rows.get(0));
  }

  public List<Record> list() {
    if (!lakehouse.exists(RECORDS)) {
      return List.of();
    }
    return lakehouse.read(spark, RECORDS).orderBy("created_at").collectAsList().stream().map(TrainingSets::record).toList();
  }

  private static Record record(Row r) {
    return new Record(r.getAs("id"), ((Timestamp) r.getAs("created_at")).toInstant(), r.getAs("cohort"),
        r.getAs("cohort_definition_hash"), r.getAs("cohort_definition"), r.getAs("feature_set"),
        new TreeMap<>(r.<String, String>getJavaMap(r.fieldIndex("feature_hashes"))),
        new LinkedHashMap<>(r.<String, Long>getJavaMap(r.fieldIndex("input_versions"))), r.getAs("row_count"), r.getAs("content_hash"),
        r.getAs("table_name"), r.getAs("table_version"), groups(r));
  }

  private static SensitiveGroups groups(Row r) {
    boolean recorded = List.of(r.schema().fieldNames()).contains("sensitive_groups") && !r.isNullAt(r.fieldIndex("sensitive_groups"));
    return recorded ? SensitiveGroups.fromJson(r.getAs("sensitive_groups")) : SensitiveGroups.BEFORE_PAYER_TYPE;
  }

  private static Map<String, String> featureHashes(FeatureSet set) {
    Map<String, String> hashes = new TreeMap<>();
    for (FeatureDefinition f : set.features()) {
      hashes.put(f.name() + "@" + f.version(), f.definitionHash());
    }
    return hashes;
  }
}
