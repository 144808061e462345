package org.carelake.pipelines.wearable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.LongAccumulator;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The parse runs once for every job that reads kept rows, and rows come back whole, from memory or from disk. */
@ExtendWith(SparkExtension.class)
class KeptRowsTest {

  private static final StructType SCHEMA = new StructType()
      .add("device", DataTypes.StringType)
      .add("start", DataTypes.LongType)
      .add("value", DataTypes.DoubleType)
      .add("reason", DataTypes.StringType)
      .add("day", DataTypes.DateType)
      .add("first", DataTypes.BooleanType);

  /** 1,000 rows over 4 tasks, each task's rows sharing one device string (as the parser shares them); counts every row built. */
  private static JavaRDD<InternalRow> parse(SparkSession spark, LongAccumulator built) {
    List<Integer> tasks = List.of(0, 1, 2, 3);
    return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(tasks, tasks.size()).mapPartitions(it -> {
      int task = it.next();
      UTF8String device = UTF8String.fromString("device-" + task);
      List<InternalRow> rows = new ArrayList<>();
      for (long i = 0; i < 250; i++) {
        built.add(1);
        rows.add(new GenericInternalRow(new Object[] {device, task * 1000L + i, i % 25 == 0 ? null : i / 2.0,
            i % 50 == 0 ? UTF8String.fromString("rejected " + i) : null, (int) (i / 100), i % 2 == 0}));
      }
      return rows.iterator();
    });
  }

  @ParameterizedTest
  @CsvSource({"MEMORY_AND_DISK, 4194304", "DISK_ONLY, 4194304", "MEMORY_AND_DISK, 1000", "DISK_ONLY, 1000"})
  void everyQueryReadsTheRowsOneParseBuilt(String level, int pageBytes) {
    // 1,000-byte pages hold 18 rows each: every task's rows span pages, each with a string table of its own.
    SparkSession spark = SparkExtension.spark();
    LongAccumulator built = spark.sparkContext().longAccumulator("rows built");
    try (KeptRows kept = KeptRows.of(spark, parse(spark, built).rdd(), SCHEMA, StorageLevel.fromString(level), pageBytes)) {
      assertThat(kept.rows().count()).isEqualTo(1000);
      List<Row> perDevice = kept.rows().groupBy("device").sum("start").orderBy("device").collectAsList();
      List<Row> rejected = kept.rows().where("reason IS NOT NULL").orderBy("start").collectAsList();

      assertThat(built.value()).as("rows built by the parse, over three queries").isEqualTo(1000);
      assertThat(perDevice).extracting(r -> r.getString(0)).containsExactly("device-0", "device-1", "device-2", "device-3");
      assertThat(perDevice.get(3).getLong(1)).isEqualTo(250 * 3000L + 249 * 250 / 2);
      assertThat(rejected).hasSize(20);
      assertThat(rejected.get(1).toString()).isEqualTo("[device-0,50,null,rejected 50,1970-01-01,true]");
      assertThat(rejected.get(7).toString()).isEqualTo("[device-1,1100,null,rejected 100,1970-01-02,true]");
      assertThat(kept.rows().where("value IS NULL").count()).isEqualTo(40);
      assertThat(kept.rows().where("first").count()).isEqualTo(500);
      assertThat(kept.rows().agg(org.apache.spark.sql.functions.sum("value")).head().getDouble(0))
          .as("4 tasks x (0 + 1 + ... + 249, less the 10 nulls' 0 + 25 + ... + 225) / 2").isEqualTo(4 * (31125 - 1125) / 2.0);
      assertThat(kept.kept()).isTrue();
      kept.close();
      assertThat(kept.kept()).isFalse();
    }
  }

  @Test
  void rowsFromAReusedBufferAreKeptAsTheyWereWhenRead() {
    // An UnsafeProjection writes every row into the same buffer: the kept rows must be copies, strings included.
    SparkSession spark = SparkExtension.spark();
    LongAccumulator built = spark.sparkContext().longAccumulator("rows built");
    var reused = parse(spark, built).mapPartitions(KeptRowsTest::intoOneBuffer);
    try (KeptRows kept = KeptRows.of(spark, reused.rdd(), SCHEMA, StorageLevel.MEMORY_AND_DISK(), 1000)) {
      List<Row> rejected = kept.rows().where("reason IS NOT NULL").orderBy("start").collectAsList();
      assertThat(rejected).hasSize(20).allSatisfy(r -> assertThat(r.getString(3)).isEqualTo("rejected " + r.getLong(1) % 1000));
      assertThat(rejected.get(19).getString(0)).isEqualTo("device-3");
      assertThat(kept.rows().groupBy("device").count().count()).isEqualTo(4);
    }
  }

  private static java.util.Iterator<InternalRow> intoOneBuffer(java.util.Iterator<InternalRow> rows) {
    var project = org.apache.spark.sql.catalyst.expressions.UnsafeProjection.create(SCHEMA);
    return new java.util.Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public InternalRow next() {
        return project.apply(rows.next());
      }
    };
  }

  @Test
  void keepsOnlyFlatRows() {
    SparkSession spark = SparkExtension.spark();
    StructType nested = new StructType().add("calls", DataTypes.createArrayType(DataTypes.IntegerType));
    var rows = JavaSparkContext.fromSparkContext(spark.sparkContext()).<InternalRow>emptyRDD().rdd();
    assertThatThrownBy(() -> KeptRows.of(spark, rows, nested)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("KeptRows keeps flat rows of fixed-width values and strings, not ArrayType");
  }

  @Test
  void unkeptRowsAreBuiltAgainForEveryQuery() {
    // The control for the test above: the same queries over the plain parse run it every time.
    SparkSession spark = SparkExtension.spark();
    LongAccumulator built = spark.sparkContext().longAccumulator("rows built");
    var rows = spark.internalCreateDataFrame(parse(spark, built).rdd(), SCHEMA, false);
    rows.count();
    rows.where("reason IS NOT NULL").collectAsList();
    assertThat(built.value()).isEqualTo(2000);
  }
}
