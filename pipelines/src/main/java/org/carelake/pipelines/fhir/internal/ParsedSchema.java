package org.carelake.pipelines.fhir.internal;

import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import scala.Function1;

/**
 * The intermediate row of one parse: what bronze, quarantine and every silver table are selected
 * from, so each record is parsed by HAPI exactly once. One struct column per silver table holds the
 * typed row when the record is of that type.
 */
public final class ParsedSchema {

  public static final String KIND = "kind";
  public static final String KIND_RESOURCE = "resource";
  public static final String KIND_QUARANTINE = "quarantine";
  /** A tombstone: the source deleted resource_type/resource_id. */
  public static final String KIND_DELETE = "delete";
  /** The kinds as Spark's UTF-8 strings, to compare with a row's own without a Java string per row. */
  static final UTF8String KIND_RESOURCE_UTF8 = UTF8String.fromString(KIND_RESOURCE);
  static final UTF8String KIND_QUARANTINE_UTF8 = UTF8String.fromString(KIND_QUARANTINE);
  static final UTF8String KIND_DELETE_UTF8 = UTF8String.fromString(KIND_DELETE);
  public static final String RESOURCE_TYPE = "resource_type";
  public static final String RESOURCE_ID = "resource_id";
  public static final String VERSION_ID = "version_id";
  public static final String LAST_UPDATED = "last_updated";
  public static final String CONTENT_HASH = "content_hash";
  public static final String RAW_JSON = "raw_json";
  public static final String SOURCE_FILE = "source_file";
  public static final String SOURCE_POSITION = "source_position";
  public static final String SOURCE_POSITION_KIND = "source_position_kind";
  public static final String REASON_CODE = "reason_code";
  public static final String REASON = "reason";
  /** For a tombstone, the silver key of the deleted resource (pseudonymized like the mapper's key). */
  public static final String DELETED_KEY = "deleted_key";

  public static final String POSITION_LINE_OFFSET = "line-offset";
  public static final String POSITION_BUNDLE_ENTRY = "bundle-entry";
  public static final String POSITION_FILE = "file";

  /** Number of fixed columns before the per-table structs. */
  static final int FIXED = 13;

  public static final StructType SCHEMA = build();

  /** The index in {@link Mappers#ALL} of each resource type's silver table. */
  private static final Map<String, Integer> SILVER = new HashMap<>();

  /**
   * Per silver table, per column: the conversion of a mapper's Java value (String, Timestamp,
   * Date, Row, arrays) into Spark's internal one. Strings, most of the columns, are converted
   * directly (null marks them).
   */
  private static final List<Function1<Object, Object>[]> CONVERTERS = new ArrayList<>();

  static {
    for (int i = 0; i < Mappers.ALL.size(); i++) {
      ResourceMapper mapper = Mappers.ALL.get(i);
      SILVER.put(mapper.resourceType(), i);
      StructField[] fields = mapper.schema().fields();
      @SuppressWarnings("unchecked")
      Function1<Object, Object>[] converters = new Function1[fields.length];
      for (int f = 0; f < fields.length; f++) {
        converters[f] = fields[f].dataType() == StringType ? null : CatalystTypeConverters.createToCatalystConverter(fields[f].dataType());
      }
      CONVERTERS.add(converters);
    }
  }

  private ParsedSchema() {}

  /** The index in {@link Mappers#ALL} of this resource type's silver table; -1 when it has none. */
  static int silverIndex(String resourceType) {
    Integer index = SILVER.get(resourceType);
    return index == null ? -1 : index;
  }

  /** Converts the first {@code count} values of a row of silver table {@code table}, in place, into Spark's internal values. */
  static void toInternal(int table, Object[] values, int count) {
    Function1<Object, Object>[] converters = CONVERTERS.get(table);
    for (int i = 0; i < count; i++) {
      Object v = values[i];
      if (v != null) {
        values[i] = converters[i] == null ? UTF8String.fromString((String) v) : converters[i].apply(v);
      }
    }
  }

  private static StructType build() {
    List<StructField> fields = new ArrayList<>(List.of(
        DataTypes.createStructField(KIND, StringType, false),
        DataTypes.createStructField(RESOURCE_TYPE, StringType, true),
        DataTypes.createStructField(RESOURCE_ID, StringType, true),
        DataTypes.createStructField(VERSION_ID, StringType, true),
        DataTypes.createStructField(LAST_UPDATED, TimestampType, true),
        DataTypes.createStructField(CONTENT_HASH, StringType, false),
        DataTypes.createStructField(RAW_JSON, StringType, true),
        DataTypes.createStructField(SOURCE_FILE, StringType, false),
        DataTypes.createStructField(SOURCE_POSITION, LongType, false),
        DataTypes.createStructField(SOURCE_POSITION_KIND, StringType, false),
        DataTypes.createStructField(REASON_CODE, StringType, true),
        DataTypes.createStructField(REASON, StringType, true),
        DataTypes.createStructField(DELETED_KEY, StringType, true)));
    for (ResourceMapper mapper : Mappers.ALL) {
      fields.add(DataTypes.createStructField(mapper.table().name(), mapper.schema(), true));
    }
    return DataTypes.createStructType(fields);
  }
}
