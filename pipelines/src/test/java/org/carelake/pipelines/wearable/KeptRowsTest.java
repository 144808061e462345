package org.carelake.pipelines.wearable;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.params.provider.ValueSource;

/** The parse runs once for every job that reads kept rows, and rows come back whole, from memory or from disk. */
@ExtendWith(SparkExtension.class)
class KeptRowsTest {

  private static final StructType SCHEMA = new StructType()
      .add("device", DataTypes.StringType)
      .add("start", DataTypes.LongType)
      .add("value", DataTypes.DoubleType)
      .add("reason", DataTypes.StringType);

  /** 1,000 rows over 4 tasks, each task's rows sharing one device string (as the parser shares them); counts every row built. */
  private static JavaRDD<InternalRow> parse(SparkSession spark, LongAccumulator built) {
    List<Integer> tasks = List.of(0, 1, 2, 3);
    return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(tasks, tasks.size()).mapPartitions(it -> {
      int task = it.next();
      UTF8String device = UTF8String.fromString("device-" + task);
      List<InternalRow> rows = new ArrayList<>();
      for (long i = 0; i < 250; i++) {
        built.add(1);
        rows.add(new GenericInternalRow(new Object[] {device, task * 1000L + i, i / 2.0,
            i % 50 == 0 ? UTF8String.fromString("rejected " + i) : null}));
      }
      return rows.iterator();
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"MEMORY_AND_DISK", "DISK_ONLY"})
  void everyQueryReadsTheRowsOneParseBuilt(String level) {
    SparkSession spark = SparkExtension.spark();
    LongAccumulator built = spark.sparkContext().longAccumulator("rows built");
    try (KeptRows kept = KeptRows.of(spark, parse(spark, built).rdd(), SCHEMA, StorageLevel.fromString(level))) {
      assertThat(kept.rows().count()).isEqualTo(1000);
      List<Row> perDevice = kept.rows().groupBy("device").sum("start").orderBy("device").collectAsList();
      List<Row> rejected = kept.rows().where("reason IS NOT NULL").orderBy("start").collectAsList();

      assertThat(built.value()).as("rows built by the parse, over three queries").isEqualTo(1000);
      assertThat(perDevice).extracting(r -> r.getString(0)).containsExactly("device-0", "device-1", "device-2", "device-3");
      assertThat(perDevice.get(3).getLong(1)).isEqualTo(250 * 3000L + 249 * 250 / 2);
      assertThat(rejected).hasSize(20);
      assertThat(rejected.get(1)).isEqualTo(org.apache.spark.sql.RowFactory.create("device-0", 50L, 25.0, "rejected 50"));
      assertThat(kept.kept()).isTrue();
      kept.close();
      assertThat(kept.kept()).isFalse();
    }
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
