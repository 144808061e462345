package org.carelake.pipelines.fhir.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.unsafe.types.UTF8String;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SparkExtension.class)
class ParseKeysTest {

  private static Row row(String kind, String type, String id, String contentHash) {
    Object[] values = new Object[ParsedSchema.SCHEMA.size()];
    values[0] = kind;
    values[1] = type;
    values[2] = id;
    values[5] = contentHash;
    values[7] = "f.ndjson";
    values[8] = 0L;
    values[9] = ParsedSchema.POSITION_LINE_OFFSET;
    return RowFactory.create(values);
  }

  /** The row as Spark's row, as the parser builds them. */
  private static org.apache.spark.sql.catalyst.InternalRow internal(Row row) {
    return (org.apache.spark.sql.catalyst.InternalRow) org.apache.spark.sql.catalyst.CatalystTypeConverters
        .createToCatalystConverter(ParsedSchema.SCHEMA).apply(row);
  }

  private static Optional<Set<String>> duplicated(SparkSession spark, List<Row> rows, int tasks) {
    JavaRDD<Row> parsed = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, tasks);
    ParseKeys keys = ParseKeys.tracking(spark.sparkContext(), parsed.map(ParseKeysTest::internal));
    keys.rows().count();
    return keys.duplicated();
  }

  @Test
  void aKeyRepeatedInAnotherTaskMarksItsTable(SparkSession spark) {
    String patients = Mappers.BY_TYPE.get("Patient").table().name();
    List<Row> rows = List.of(
        row(ParsedSchema.KIND_RESOURCE, "Patient", "p1", "h1"),
        row(ParsedSchema.KIND_RESOURCE, "Condition", "c1", "h2"),
        row(ParsedSchema.KIND_RESOURCE, "Condition", "c2", "h3"),
        row(ParsedSchema.KIND_RESOURCE, "Patient", "p1", "h4"));
    assertThat(duplicated(spark, rows, 2)).contains(Set.of(patients));
    assertThat(duplicated(spark, rows, 4)).as("one row per task").contains(Set.of(patients));
    assertThat(duplicated(spark, rows.subList(0, 3), 3)).contains(Set.of());
  }

  @Test
  void bronzeKeysIncludeTheContentHashAndDeletionsQuarantineDoesNotCount(SparkSession spark) {
    String patients = Mappers.BY_TYPE.get("Patient").table().name();
    List<Row> identical = List.of(row(ParsedSchema.KIND_RESOURCE, "Patient", "p1", "h1"), row(ParsedSchema.KIND_RESOURCE, "Patient", "p1", "h1"));
    assertThat(duplicated(spark, identical, 2)).contains(Set.of(ParseKeys.BRONZE, patients));
    List<Row> deletedTwice = List.of(row(ParsedSchema.KIND_DELETE, "Patient", "p1", "d"), row(ParsedSchema.KIND_DELETE, "Patient", "p1", "d"),
        row(ParsedSchema.KIND_QUARANTINE, "Patient", "p2", "q"), row(ParsedSchema.KIND_QUARANTINE, "Patient", "p2", "q"));
    assertThat(duplicated(spark, deletedTwice, 2)).as("a deletion has a bronze key, no silver key; quarantined rows neither")
        .contains(Set.of(ParseKeys.BRONZE));
  }

  @Test
  void aParseNotReadToTheEndOfEveryTaskGivesNoAnswer(SparkSession spark) {
    JavaRDD<Row> parsed = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(List.of(row(ParsedSchema.KIND_RESOURCE, "Patient", "p1", "h1"), row(ParsedSchema.KIND_RESOURCE, "Patient", "p1", "h2")), 2);
    ParseKeys keys = ParseKeys.tracking(spark.sparkContext(), parsed.map(ParseKeysTest::internal));
    assertThat(keys.duplicated()).as("before any job").isEmpty();
    keys.rows().take(1);
    assertThat(keys.duplicated()).as("only the first task ran, and it stopped after its row").isEmpty();
  }

  private static UTF8String utf8(String s) {
    return UTF8String.fromString(s);
  }

  @Test
  void partsAreSeparatedInTheHash() {
    assertThat(ParseKeys.hash(utf8("a"), utf8("bc"))).isNotEqualTo(ParseKeys.hash(utf8("ab"), utf8("c")));
    assertThat(ParseKeys.hash(utf8("Patient"), utf8("p1"))).isEqualTo(ParseKeys.hash(utf8("Patient"), utf8("p1")));
    assertThat(ParseKeys.duplicated(List.of(new ParseKeys.Report(0, Map.of("t", new long[] {1, 2})),
        new ParseKeys.Report(1, Map.of("t", new long[] {3}, "u", new long[] {2, 2}))))).isEqualTo(Set.of("u"));
  }
}
