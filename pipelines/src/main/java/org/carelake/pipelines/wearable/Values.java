package org.carelake.pipelines.wearable;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import org.carelake.core.schema.WearableMeasurementSchema.Metric;

/** Parsing and checking of one value: numbers, vendor timestamps, units and plausible ranges. */
final class Values {

  /** Fitabase's US wall-clock format, e.g. {@code 4/12/2016 7:21:00 AM}. */
  private static final DateTimeFormatter US_DATE_TIME = DateTimeFormatter.ofPattern("M/d/uuuu h:mm:ss a", Locale.US)
      .withResolverStyle(java.time.format.ResolverStyle.STRICT);
  private static final DateTimeFormatter US_DATE = DateTimeFormatter.ofPattern("M/d/uuuu", Locale.US)
      .withResolverStyle(java.time.format.ResolverStyle.STRICT);

  /** Unit spellings per metric, with the factor to the metric's normalized unit. */
  private static final Map<Metric, Map<String, Double>> UNITS = Map.of(
      Metric.HEART_RATE, Map.of("bpm", 1.0, "beats/min", 1.0, "/min", 1.0, "1/min", 1.0, "{beats}/min", 1.0, "count/min", 1.0),
      Metric.STEPS, Map.of("steps", 1.0, "step", 1.0, "count", 1.0, "{steps}", 1.0),
      Metric.ACTIVE_MINUTES, durations(),
      Metric.SLEEP, durations(),
      Metric.BODY_WEIGHT, Map.of("kg", 1.0, "g", 0.001, "lb", 0.45359237, "lbs", 0.45359237, "[lb_av]", 0.45359237));

  private static Map<String, Double> durations() {
    return Map.of("min", 1.0, "minutes", 1.0, "minute", 1.0, "h", 60.0, "hr", 60.0, "hours", 60.0, "s", 1 / 60.0, "sec", 1 / 60.0,
        "seconds", 1 / 60.0, "d", 1440.0);
  }

  private Values() {}

  static double number(String text, String column) throws Rejected {
    if (text == null || text.isBlank()) {
      throw new Rejected(Reason.MALFORMED_RECORD, "column " + column + " is empty; a number is required");
    }
    try {
      double v = Double.parseDouble(text.trim());
      if (Double.isNaN(v) || Double.isInfinite(v)) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new Rejected(Reason.MALFORMED_RECORD, "column " + column + " is not a number");
    }
  }

  /** A Fitabase local time: date and 12-hour time, or a date alone (midnight). */
  static LocalDateTime usLocal(String text, String column) throws Rejected {
    if (text != null) {
      String t = text.trim();
      LocalDateTime fast = fastUsLocal(t);
      if (fast != null) {
        return fast;
      }
      try {
        return t.indexOf(' ') > 0 ? LocalDateTime.parse(t, US_DATE_TIME) : LocalDate.parse(t, US_DATE).atStartOfDay();
      } catch (DateTimeParseException e) {
        // fall through to the rejection
      }
    }
    throw new Rejected(Reason.UNPARSEABLE_TIMESTAMP, "column " + column
        + " is not a US local date-time such as 4/12/2016 7:21:00 AM (or a date such as 4/12/2016)");
  }

  /**
   * The common shapes ({@code M/d/yyyy h:mm:ss AM|PM} and {@code M/d/yyyy}) read without a
   * formatter (the per-line cost of a minute-level export); null for anything else, which the
   * strict formatter then accepts or rejects.
   */
  static LocalDateTime fastUsLocal(String t) {
    int[] at = {0};
    int month = digits(t, at, 1, 2, '/');
    int day = digits(t, at, 1, 2, '/');
    int year = digits(t, at, 4, 4, t.length() == at[0] + 4 ? '\0' : ' ');
    if (month < 0 || day < 0 || year < 0) {
      return null;
    }
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (at[0] < t.length()) {
      hour = digits(t, at, 1, 2, ':');
      minute = digits(t, at, 2, 2, ':');
      second = digits(t, at, 2, 2, ' ');
      if (hour < 1 || hour > 12 || minute < 0 || second < 0 || at[0] + 2 != t.length()) {
        return null;
      }
      String marker = t.substring(at[0]);
      if (marker.equals("PM")) {
        hour = hour == 12 ? 12 : hour + 12;
      } else if (marker.equals("AM")) {
        hour = hour == 12 ? 0 : hour;
      } else {
        return null;
      }
    }
    try {
      return LocalDateTime.of(year, month, day, hour, minute, second);
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }

  /** Reads min..max digits at at[0] followed by {@code end} (or the end of text for '\0'); -1 if not so. */
  private static int digits(String t, int[] at, int min, int max, char end) {
    int i = at[0];
    int value = 0;
    int n = 0;
    while (i < t.length() && n < max && Character.isDigit(t.charAt(i))) {
      value = value * 10 + (t.charAt(i) - '0');
      i++;
      n++;
    }
    if (n < min) {
      return -1;
    }
    if (end == '\0') {
      if (i != t.length()) {
        return -1;
      }
    } else {
      if (i >= t.length() || t.charAt(i) != end) {
        return -1;
      }
      i++;
    }
    at[0] = i;
    return value;
  }

  /**
   * A wall-clock time in the device's zone as an instant. In a daylight-saving gap the time moves
   * forward by the gap; in an overlap the earlier offset is used (java.time's rules).
   */
  static Instant atZone(LocalDateTime local, ZoneId zone) {
    return local.atZone(zone).toInstant();
  }

  /** An ISO-8601 date-time that carries its offset, e.g. {@code 2016-04-12T07:21:00-05:00} or {@code ...Z}. */
  static Instant isoInstant(String text, String field) throws Rejected {
    if (text != null) {
      try {
        return OffsetDateTime.parse(text.trim()).toInstant();
      } catch (DateTimeParseException e) {
        // fall through
      }
    }
    throw new Rejected(Reason.UNPARSEABLE_TIMESTAMP, field + " is not an ISO-8601 date-time with an offset "
        + "(e.g. 2016-04-12T07:21:00-05:00 or 2016-04-12T12:21:00Z)");
  }

  /** The value in the metric's normalized unit, or a rejection naming the units accepted. */
  static double normalize(Metric metric, double value, String unit) throws Rejected {
    Double factor = unit == null ? null : UNITS.get(metric).get(unit.trim());
    if (factor == null) {
      throw new Rejected(Reason.UNKNOWN_UNIT, "unit '" + (unit == null ? "" : unit) + "' is not a unit of " + metric.id()
          + "; use one of " + new java.util.TreeSet<>(UNITS.get(metric).keySet()));
    }
    return value * factor;
  }

  /**
   * Rejects values no device can measure. {@code seconds} is the span measured (0 for a point
   * sample): additive values are checked against it.
   */
  static void checkPlausible(Metric metric, double value, long seconds) throws Rejected {
    double minutes = seconds / 60.0;
    String problem = switch (metric) {
      case HEART_RATE -> value < 25 || value > 250 ? "heart rate outside 25-250 bpm" : null;
      case STEPS -> value < 0 ? "negative step count"
          : value > Math.max(minutes, 1) * 400 || value > 150_000 ? "more steps than anyone can take in the time measured" : null;
      case ACTIVE_MINUTES -> value < 0 ? "negative active minutes"
          : value > 1440 || (seconds > 0 && value > minutes + 1e-9) ? "more active minutes than the time measured" : null;
      case SLEEP -> value < 0 ? "negative sleep"
          : value > 1440 ? "more than 24 hours of sleep in one record"
          : seconds > 0 && value > minutes + 1e-9 ? "more sleep than the time frame it was measured in" : null;
      case BODY_WEIGHT -> value < 2 || value > 500 ? "body weight outside 2-500 kg" : null;
    };
    if (problem != null) {
      throw new Rejected(Reason.IMPOSSIBLE_VALUE, problem);
    }
  }
}
