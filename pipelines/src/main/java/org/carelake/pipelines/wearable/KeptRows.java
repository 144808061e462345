package org.carelake.pipelines.wearable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The wearable parse's rows, kept for the jobs that read them (silver, the quarantine, the daily
 * table) in pages: each page a few MB of fixed-width {@code UnsafeRow}s
 * in which every string is the number of an entry in the page's own table of distinct strings.
 * Pages spill to disk only when memory runs short.
 *
 * <p>Why pages: a parse row repeats the same few strings (patient and device keys, source file,
 * metric, zone), which a table stores once per page, so a 19-column measurement takes 160
 * bytes; and a few large arrays cost the garbage collector nearly nothing to hold. Kept as the
 * parser's own objects (an object array, boxed numbers per row), 5.2 million measurements on 2
 * cores spent about 8 s of a 20-25 s ingest in collector pauses promoting and marking them;
 * as {@code UnsafeRow}s with their strings inline (460 bytes each) they outgrew Spark's storage
 * memory and went back and forth to disk. Not {@code Dataset.persist()} either: Spark's
 * DataFrame cache re-encodes every value into column buffers, which took longer than the parse.
 * The VCF parse, whose rows hold a nested call per sample, stays on the DataFrame cache.
 *
 * <p>Rows may come from a reused buffer (an {@code UnsafeProjection}): each row's values are copied
 * into the page as it is read. Flat schemas only: strings and fixed-width values.
 */
final class KeptRows implements AutoCloseable {

  /** Rows are packed into pages of about this many bytes. */
  static final int PAGE_BYTES = 4 << 20;

  /** The fixed-width types a page holds (besides strings, held as numbers in the page's table). */
  private static final Set<DataType> FIXED = Set.of(DataTypes.BooleanType, DataTypes.ByteType, DataTypes.ShortType,
      DataTypes.IntegerType, DataTypes.LongType, DataTypes.FloatType, DataTypes.DoubleType, DataTypes.DateType,
      DataTypes.TimestampType);

  private final RDD<Page> pages;
  private final Dataset<Row> rows;

  private KeptRows(RDD<Page> pages, Dataset<Row> rows) {
    this.pages = pages;
    this.rows = rows;
  }

  /** Keeps {@code rows} (of {@code schema}) from the first job that computes them until {@link #close()}. */
  static KeptRows of(SparkSession spark, RDD<InternalRow> rows, StructType schema) {
    return of(spark, rows, schema, StorageLevel.MEMORY_AND_DISK());
  }

  /** As {@link #of(SparkSession, RDD, StructType)}, at a given storage level (tests use disk to show rows survive a spill). */
  static KeptRows of(SparkSession spark, RDD<InternalRow> rows, StructType schema, StorageLevel level) {
    return of(spark, rows, schema, level, PAGE_BYTES);
  }

  /** As {@link #of(SparkSession, RDD, StructType, StorageLevel)}, with pages of about {@code pageBytes} (tests use small ones). */
  static KeptRows of(SparkSession spark, RDD<InternalRow> rows, StructType schema, StorageLevel level, int pageBytes) {
    DataType[] types = new DataType[schema.size()];
    for (int i = 0; i < types.length; i++) {
      types[i] = schema.fields()[i].dataType();
      if (!FIXED.contains(types[i]) && !DataTypes.StringType.equals(types[i])) {
        throw new IllegalArgumentException("KeptRows keeps flat rows of fixed-width values and strings, not " + types[i]);
      }
    }
    RDD<Page> pages = rows.toJavaRDD().mapPartitions(new Pack(types, pageBytes)).rdd().persist(level);
    RDD<InternalRow> unpacked = pages.toJavaRDD().mapPartitions(new Unpack(types)).rdd();
    return new KeptRows(pages, spark.internalCreateDataFrame(unpacked, schema, false));
  }

  /** The kept rows; every query over them reads the kept rows once a job has computed them. */
  Dataset<Row> rows() {
    return rows;
  }

  /** Runs the job that computes the rows and keeps them (the rows are not read back). */
  void compute() {
    pages.count();
  }

  /** Whether the rows are kept (false once closed). */
  boolean kept() {
    return pages.getStorageLevel().isValid();
  }

  /**
   * Releases the kept rows (memory and spilled blocks), waiting until they are gone: a release still
   * running when the command ends would fail against the stopped Spark context.
   */
  @Override
  public void close() {
    pages.unpersist(true);
  }

  /**
   * A run of a task's rows: fixed-width {@code UnsafeRow}s back to back, each string replaced by its
   * number in the page's own table of distinct strings.
   */
  static final class Page implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final byte[] data;
    final int rows;
    final byte[][] strings;

    Page(byte[] data, int rows, byte[][] strings) {
      this.data = data;
      this.rows = rows;
      this.strings = strings;
    }
  }

  /** The bytes of one coded row of {@code fields} fields: the null bits, then 8 bytes per field. */
  private static int stride(int fields) {
    return UnsafeRow.calculateBitSetWidthInBytes(fields) + 8 * fields;
  }

  /** Packs a task's rows into pages. */
  private static final class Pack implements FlatMapFunction<Iterator<InternalRow>, Page> {
    private final DataType[] types;
    private final int pageBytes;

    Pack(DataType[] types, int pageBytes) {
      this.types = types;
      this.pageBytes = pageBytes;
    }

    @Override
    public Iterator<Page> call(Iterator<InternalRow> in) {
      int n = types.length;
      int stride = stride(n);
      int capacity = Math.max(1, pageBytes / stride);
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return in.hasNext();
        }

        @Override
        public Page next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          byte[] data = new byte[capacity * stride];
          Map<UTF8String, Integer> codes = new HashMap<>();
          List<byte[]> strings = new ArrayList<>();
          // The parser shares one string object between a task's rows: the same object as the row before costs no lookup.
          UTF8String[] lastString = new UTF8String[n];
          int[] lastCode = new int[n];
          UnsafeRow out = new UnsafeRow(n);
          int count = 0;
          while (count < capacity && in.hasNext()) {
            InternalRow row = in.next();
            out.pointTo(data, Platform.BYTE_ARRAY_OFFSET + (long) count * stride, stride);
            for (int i = 0; i < n; i++) {
              if (row.isNullAt(i)) {
                out.setNullAt(i);
                continue;
              }
              DataType t = types[i];
              if (t == DataTypes.StringType) {
                UTF8String s = row.getUTF8String(i);
                if (s != lastString[i]) {
                  lastString[i] = s;
                  Integer code = codes.get(s);
                  if (code == null) {
                    UTF8String own = s.clone(); // the row's string may point into a buffer the parser reuses
                    code = strings.size();
                    codes.put(own, code);
                    strings.add(own.getBytes());
                  }
                  lastCode[i] = code;
                }
                out.setInt(i, lastCode[i]);
              } else if (t == DataTypes.BooleanType) {
                out.setBoolean(i, row.getBoolean(i));
              } else if (t == DataTypes.IntegerType || t == DataTypes.DateType) {
                out.setInt(i, row.getInt(i));
              } else if (t == DataTypes.LongType || t == DataTypes.TimestampType) {
                out.setLong(i, row.getLong(i));
              } else if (t == DataTypes.DoubleType) {
                out.setDouble(i, row.getDouble(i));
              } else if (t == DataTypes.FloatType) {
                out.setFloat(i, row.getFloat(i));
              } else if (t == DataTypes.ShortType) {
                out.setShort(i, row.getShort(i));
              } else {
                out.setByte(i, row.getByte(i));
              }
            }
            count++;
          }
          return new Page(count == capacity ? data : Arrays.copyOf(data, count * stride), count, strings.toArray(new byte[0][]));
        }
      };
    }
  }

  /** The rows of a task's pages, through one reused view (Spark's scan projects every row it reads into a row of its own). */
  private static final class Unpack implements FlatMapFunction<Iterator<Page>, InternalRow> {
    private final DataType[] types;

    Unpack(DataType[] types) {
      this.types = types;
    }

    @Override
    public Iterator<InternalRow> call(Iterator<Page> pages) {
      int stride = stride(types.length);
      PagedRow view = new PagedRow(new UnsafeRow(types.length), types);
      return new Iterator<>() {
        private Page page;
        private int at;

        @Override
        public boolean hasNext() {
          while (page == null || at >= page.rows) {
            if (!pages.hasNext()) {
              return false;
            }
            page = pages.next();
            at = 0;
            UTF8String[] strings = new UTF8String[page.strings.length];
            for (int i = 0; i < strings.length; i++) {
              strings[i] = UTF8String.fromBytes(page.strings[i]);
            }
            view.strings = strings;
          }
          return true;
        }

        @Override
        public InternalRow next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          view.coded.pointTo(page.data, Platform.BYTE_ARRAY_OFFSET + (long) at++ * stride, stride);
          return view;
        }
      };
    }
  }
}
