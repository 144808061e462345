package org.carelake.pipelines.wearable;

/** Why a wearable record went to {@code bronze.wearable_quarantine}. */
public enum Reason {
  /** The file's header matches no supported format. */
  HEADER_MISMATCH,
  /** Wrong number of columns, a value that is not a number, or JSON that does not parse. */
  MALFORMED_RECORD,
  UNPARSEABLE_TIMESTAMP,
  /** No time frame, or an interval that ends before it starts. */
  INVALID_TIME_FRAME,
  /** Heart rate 0 or 300, negative steps, sleep longer than its time frame, and so on. */
  IMPOSSIBLE_VALUE,
  /** More than 24 hours of sleep on one device and day. */
  SLEEP_OVER_24H,
  UNKNOWN_METRIC,
  UNKNOWN_UNIT,
  /** An average or maximum over a period (Open mHealth descriptive_statistic): not a measurement. */
  DESCRIPTIVE_STATISTIC,
  /** A day of 1,440 sedentary minutes: the device was not worn, its zeros are not measurements. */
  DEVICE_NOT_WORN,
  /** The device or user id is not in devices.csv (or the record names none): kept until it is mapped. */
  UNMAPPED_DEVICE
}
