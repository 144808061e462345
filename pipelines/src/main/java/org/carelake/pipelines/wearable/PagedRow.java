package org.carelake.pipelines.wearable;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.MapData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.unsafe.types.CalendarInterval;
import org.apache.spark.unsafe.types.UTF8String;

/** A row of a {@link KeptRows} page read in place: strings from the page's table, every other value from the coded row. */
final class PagedRow extends InternalRow {

  final UnsafeRow coded;
  private final DataType[] types;
  UTF8String[] strings;

  PagedRow(UnsafeRow coded, DataType[] types) {
    this.coded = coded;
    this.types = types;
  }

  @Override
  public int numFields() {
    return coded.numFields();
  }

  @Override
  public boolean isNullAt(int ordinal) {
    return coded.isNullAt(ordinal);
  }

  @Override
  public UTF8String getUTF8String(int ordinal) {
    return coded.isNullAt(ordinal) ? null : strings[coded.getInt(ordinal)];
  }

  @Override
  public boolean getBoolean(int ordinal) {
    return coded.getBoolean(ordinal);
  }

  @Override
  public byte getByte(int ordinal) {
    return coded.getByte(ordinal);
  }

  @Override
  public short getShort(int ordinal) {
    return coded.getShort(ordinal);
  }

  @Override
  public int getInt(int ordinal) {
    return coded.getInt(ordinal);
  }

  @Override
  public long getLong(int ordinal) {
    return coded.getLong(ordinal);
  }

  @Override
  public float getFloat(int ordinal) {
    return coded.getFloat(ordinal);
  }

  @Override
  public double getDouble(int ordinal) {
    return coded.getDouble(ordinal);
  }

  @Override
  public Object get(int ordinal, DataType dataType) {
    return types[ordinal] == DataTypes.StringType ? getUTF8String(ordinal) : coded.get(ordinal, dataType);
  }

  @Override
  public InternalRow copy() {
    Object[] values = new Object[numFields()];
    for (int i = 0; i < values.length; i++) {
      values[i] = get(i, types[i]); // null for a null value, as UnsafeRow.get gives it
    }
    return new GenericInternalRow(values);
  }

  @Override
  public void setNullAt(int i) {
    throw new UnsupportedOperationException("kept rows are read-only");
  }

  @Override
  public void update(int i, Object value) {
    throw new UnsupportedOperationException("kept rows are read-only");
  }

  @Override
  public Decimal getDecimal(int ordinal, int precision, int scale) {
    throw new UnsupportedOperationException("kept rows hold no decimals");
  }

  @Override
  public byte[] getBinary(int ordinal) {
    throw new UnsupportedOperationException("kept rows hold no binary values");
  }

  @Override
  public CalendarInterval getInterval(int ordinal) {
    throw new UnsupportedOperationException("kept rows hold no intervals");
  }

  @Override
  public InternalRow getStruct(int ordinal, int numFields) {
    throw new UnsupportedOperationException("kept rows hold no structs");
  }

  @Override
  public ArrayData getArray(int ordinal) {
    throw new UnsupportedOperationException("kept rows hold no arrays");
  }

  @Override
  public MapData getMap(int ordinal) {
    throw new UnsupportedOperationException("kept rows hold no maps");
  }
}
