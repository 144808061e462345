package org.carelake.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.carelake.core.spark.SparkSessions;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Settings of CareLake's Spark session that change what is written or how often queries are compiled. */
@ExtendWith(SparkExtension.class)
class SparkSessionsTest {

  @TempDir Path dir;

  @Test
  void columnsWithAValuePerRowAreWrittenWithoutADictionaryInDeltaTables() throws IOException {
    // Repeating values, so the only reason for plain encoding is the setting.
    SparkExtension.spark().range(1000)
        .selectExpr("timestamp'2020-01-01 00:00:00' AS start_time", "'x' AS content_hash", "timestamp'2020-01-01 00:00:00' AS taken_at",
            "'x' AS code")
        .write().format("delta").save(dir.resolve("t").toString());
    Map<String, Set<Encoding>> encodings = new HashMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir.resolve("t"))) {
      files = walk.filter(p -> p.toString().endsWith(".parquet")).toList();
    }
    assertThat(files).isNotEmpty();
    for (Path f : files) {
      try (ParquetFileReader reader = ParquetFileReader.open(
          HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.toString()), new org.apache.hadoop.conf.Configuration()))) {
        for (var block : reader.getFooter().getBlocks()) {
          for (ColumnChunkMetaData c : block.getColumns()) {
            encodings.computeIfAbsent(c.getPath().toDotString(), k -> new java.util.HashSet<>()).addAll(c.getEncodings());
          }
        }
      }
    }
    assertThat(SparkSessions.PLAIN_COLUMNS).contains("start_time", "content_hash");
    assertThat(encodings.get("start_time")).doesNotContain(Encoding.PLAIN_DICTIONARY, Encoding.RLE_DICTIONARY);
    assertThat(encodings.get("content_hash")).doesNotContain(Encoding.PLAIN_DICTIONARY, Encoding.RLE_DICTIONARY);
    assertThat(encodings.get("taken_at")).contains(Encoding.PLAIN_DICTIONARY);
    assertThat(encodings.get("code")).contains(Encoding.PLAIN_DICTIONARY);
  }

  @Test
  void aQueryPlannedAgainAfterMoreThanSparksDefaultHundredOthersIsNotCompiledAgain() {
    var spark = SparkExtension.spark();
    // Each query has its own literal, so its own generated class.
    java.util.function.IntConsumer query = i -> spark.range(3).selectExpr("id * 7919 + " + (1_000_003L + i) + " AS v").collectAsList();
    var compilations = org.apache.spark.metrics.source.CodegenMetrics.METRIC_COMPILATION_TIME();
    query.accept(0);
    long afterFirst = compilations.getCount();
    query.accept(0);
    assertThat(compilations.getCount()).as("the same query again is not compiled").isEqualTo(afterFirst);
    for (int i = 1; i <= 150; i++) {
      query.accept(i);
    }
    assertThat(compilations.getCount()).as("150 new queries are compiled").isGreaterThanOrEqualTo(afterFirst + 150);
    long afterOthers = compilations.getCount();
    query.accept(0);
    assertThat(compilations.getCount()).as("the first query, 150 classes later").isEqualTo(afterOthers);
  }

  @Test
  void aScopedSettingIsInForceInsideItsScopeAndThePreviousValueComesBack() {
    var spark = SparkExtension.spark();
    String key = "spark.sql.codegen.aggregate.map.twolevel.enabled";
    String unset = "spark.carelake.test.scoped";
    spark.conf().set(key, "true");
    try (SparkSessions.Setting s = SparkSessions.set(spark, key, "false"); SparkSessions.Setting t = SparkSessions.set(spark, unset, "on")) {
      assertThat(spark.conf().get(key)).isEqualTo("false");
      assertThat(spark.sql("SET " + key).head().getString(1)).isEqualTo("false");
      assertThat(spark.conf().get(unset)).isEqualTo("on");
    }
    assertThat(spark.conf().get(key)).isEqualTo("true");
    assertThat(spark.conf().getOption(unset).isDefined()).isFalse();
    // restored when the scope ends by an exception too
    try (SparkSessions.Setting s = SparkSessions.set(spark, key, "false")) {
      throw new IllegalStateException("boom");
    } catch (IllegalStateException expected) {
      assertThat(spark.conf().get(key)).isEqualTo("true");
    }
  }
}
