package org.carelake.pipelines.wearable;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.carelake.core.schema.WearableMeasurementSchema.Metric;
import org.carelake.pipelines.wearable.ParsedMeasurement.Measurement;

/**
 * The CSV layouts CareLake reads, recognised by their header: the Fitabase Fitbit export's files
 * (daily, hourly and minute, narrow and wide, heart rate by second, sleep, weight) and a generic
 * long layout for other vendors. Fitabase times are local wall-clock times: the device's zone from
 * {@code devices.csv} makes them UTC. Layouts whose only values are outside the metric vocabulary
 * (calories, METs, hourly intensity scores) are recognised and reported as not ingested.
 */
enum WearableFormat {

  FITABASE_DAILY_ACTIVITY("fitabase-daily-activity", cols("id,activitydate,totalsteps,totaldistance,trackerdistance,"
      + "loggedactivitiesdistance,veryactivedistance,moderatelyactivedistance,lightactivedistance,sedentaryactivedistance,"
      + "veryactiveminutes,fairlyactiveminutes,lightlyactiveminutes,sedentaryminutes,calories")) {
    @Override
    List<Measurement> parse(String[] c, ZoneId zone) throws Rejected {
      LocalDate day = Values.usLocal(c[1], "ActivityDate").toLocalDate();
      double steps = Values.number(c[2], "TotalSteps");
      notWorn(Values.number(c[13], "SedentaryMinutes"), steps);
      double active = Values.number(c[10], "VeryActiveMinutes") + Values.number(c[11], "FairlyActiveMinutes");
      return List.of(wholeDay(Metric.STEPS, steps, day, zone), wholeDay(Metric.ACTIVE_MINUTES, active, day, zone));
    }
  },
  FITABASE_DAILY_STEPS("fitabase-daily-steps", cols("id,activityday,steptotal")) {
    @Override
    List<Measurement> parse(String[] c, ZoneId zone) throws Rejected {
      return List.of(wholeDay(Metric.STEPS, Values.number(c[2], "StepTotal"), Values.usLocal(c[1], "ActivityDay").toLocalDate(), zone));
    }
  },
  FITABASE_DAILY_INTENSITIES("fitabase-daily-intensities", cols("id,activityday,sedentaryminutes,lightlyactiveminutes,"
      + "fairlyactiveminutes,veryactiveminutes,sedentaryactivedistance,lightactivedistance,moderatelyactivedistance,veryactivedistance")) {
    @Override
    List<Measurement> parse(String[] c, ZoneId zone) throws Rejected {
      LocalDate day = Values.usLocal(c[1], "ActivityDay").toLocalDate();
      notWorn(Values.number(c[2], "SedentaryMinutes"), 0);
      double active = Values.number(c[4], "FairlyActiveMinutes") + Values.number(c[5], "VeryActiveMinutes");
      return List.of(wholeDay(Metric.ACTIVE_MINUTES, active, day, zone));
    }
  },
  FITABASE_HOURLY_STEPS("fitabase-hourly-steps", cols("id,activityhour,steptotal")) {
    @Override
    List<Measurement> parse(String[] c, ZoneId zone) throws Rejected {
      return List.of(span(Metric.STEPS, Values.number(c[2], "StepTotal"), Values.usLocal(c[1], "ActivityHour"), Duration.ofHours(1), zone));
    }
  },
  FITABASE_MINUTE_STEPS_NARROW("fitabase-minute-steps-narrow", cols("id,activityminute,steps")) {
    @Override
    List<Measurement> parse(String[] c, ZoneId zone) throws Rejected {
      return List.of(span(Metric.STEPS, Values.number(c[2], "Steps"), Values.usLocal(c[1], "ActivityMinute"), MINUTE, zone));
    }
  },
  FITABASE_MINUTE_STEPS_WIDE("fitabase-minute-steps-wide", wide("steps")) {
    @Override
    List<Measurement> parse(String[] c, ZoneId zone) throws Rejected {
      return minutesOfHour(Metric.STEPS, c, "Steps", zone, v -> v);
    }
  },
  FITABASE_MINUTE_INTENSITIES_NARROW("fitabase-minute-intensities-narrow", cols("id,activityminute,intensity")) {
    @Override
    List<Measurement> parse(String[] c, ZoneId zone) throws Rejected {
      return List.of(span(Metric.ACTIVE_MINUTES, activeMinute(Values.number(c[2], "Intensity")), Values.usLocal(c[1], "ActivityMinute"),
          MINUTE, zone));
    }
  },
  FITABASE_MINUTE_INTENSITIES_WIDE("fitabase-minute-intensities-wide", wide("intensity")) {
    @Override
    List<Measurement> parse(String[] c, ZoneId zone) throws Rejected {
      return minutesOfHour(Metric.ACTIVE_MINUTES, c, "Intensity", zone, WearableFormat::activeMinute);
    }
  },
  FITABASE_HEARTRATE_SECONDS("fitabase-heartrate-seconds", cols("id,time,value")) {
    @Override
    List<Measurement> parse(String[] c, ZoneId zone) throws Rejected {
      LocalDateTime t = Values.usLocal(c[1], "Time");
      Instant at = Values.atZone(t, zone);
      double bpm = Values.number(c[2], "Value");
      Values.checkPlausible(Metric.HEART_RATE, bpm, 0);
      return List.of(new Measurement(Metric.HEART_RATE, at, at, bpm, t.toLocalDate(), null));
    }
  },
  FITABASE_MINUTE_SLEEP("fitabase-minute-sleep", cols("id,date,value,logid")) {
    @Override
    List<Measurement> parse(String[] c, ZoneId zone) throws Rejected {
      LocalDateTime t = Values.usLocal(c[1], "date");
      double state = Values.number(c[2], "value");
      if (state != 1 && state != 2 && state != 3) {
        throw new Rejected(Reason.IMPOSSIBLE_VALUE, "sleep state must be 1 (asleep), 2 (restless) or 3 (awake)");
      }
      Instant start = Values.atZone(t, zone);
      String log = c[3] == null ? null : c[3].trim();
      return List.of(new Measurement(Metric.SLEEP, start, start.plus(MINUTE), state == 1 ? 1.0 : 0.0, t.toLocalDate(), log));
    }
  },
  FITABASE_SLEEP_DAY("fitabase-sleep-day", cols("id,sleepday,totalsleeprecords,totalminutesasleep,totaltimeinbed")) {
    @Override
    List<Measurement> parse(String[] c, ZoneId zone) throws Rejected {
      return List.of(wholeDay(Metric.SLEEP, Values.number(c[3], "TotalMinutesAsleep"), Values.usLocal(c[1], "SleepDay").toLocalDate(), zone));
    }
  },
  FITABASE_WEIGHT_LOG("fitabase-weight-log", cols("id,date,weightkg,weightpounds,fat,bmi,ismanualreport,logid")) {
    @Override
    List<Measurement> parse(String[] c, ZoneId zone) throws Rejected {
      LocalDateTime t = Values.usLocal(c[1], "Date");
      Instant at = Values.atZone(t, zone);
      double kg = Values.number(c[2], "WeightKg");
      Values.checkPlausible(Metric.BODY_WEIGHT, kg, 0);
      return List.of(new Measurement(Metric.BODY_WEIGHT, at, at, kg, t.toLocalDate(), null));
    }
  },
  /** device_id, timestamp (ISO-8601 with offset), metric, value, unit, and optionally end_timestamp. */
  GENERIC_LONG("generic-long", cols("device_id,timestamp,metric,value,unit")) {
    @Override
    boolean matches(List<String> header) {
      return header.equals(columns) || header.equals(GENERIC_WITH_END);
    }

    @Override
    List<Measurement> parse(String[] c, ZoneId zone) throws Rejected {
      Metric metric = Metric.of(c[2] == null ? "" : c[2].trim()).orElseThrow(() -> new Rejected(Reason.UNKNOWN_METRIC,
          "metric is not one of " + java.util.Arrays.stream(Metric.values()).map(Metric::id).toList()));
      Instant start = Values.isoInstant(c[1], "timestamp");
      Instant end = c.length > 5 && c[5] != null && !c[5].isBlank() ? Values.isoInstant(c[5], "end_timestamp") : start;
      return List.of(WearableFormat.measured(metric, Values.number(c[3], "value"), c[4], start, end, zone, null));
    }
  },
  FITABASE_DAILY_CALORIES("fitabase-daily-calories", cols("id,activityday,calories")),
  FITABASE_HOURLY_CALORIES("fitabase-hourly-calories", cols("id,activityhour,calories")),
  FITABASE_HOURLY_INTENSITIES("fitabase-hourly-intensities", cols("id,activityhour,totalintensity,averageintensity")),
  FITABASE_MINUTE_CALORIES_NARROW("fitabase-minute-calories-narrow", cols("id,activityminute,calories")),
  FITABASE_MINUTE_CALORIES_WIDE("fitabase-minute-calories-wide", wide("calories")),
  FITABASE_MINUTE_METS_NARROW("fitabase-minute-mets-narrow", cols("id,activityminute,mets"));

  private static final Duration MINUTE = Duration.ofMinutes(1);
  private static final List<String> GENERIC_WITH_END = cols("device_id,timestamp,metric,value,unit,end_timestamp");

  private final String id;
  final List<String> columns;

  WearableFormat(String id, List<String> columns) {
    this.id = id;
    this.columns = columns;
  }

  String id() {
    return id;
  }

  /** False for layouts recognised but holding no metric of the vocabulary (they are reported, not read). */
  boolean supported() {
    return !name().contains("CALORIES") && !name().contains("METS") && this != FITABASE_HOURLY_INTENSITIES;
  }

  /** The column that names the device or vendor user. */
  int deviceColumn() {
    return 0;
  }

  boolean matches(List<String> header) {
    return header.equals(columns);
  }

  /** The measurements of one data line, in normalized units, checked for plausibility. */
  List<Measurement> parse(String[] cells, ZoneId zone) throws Rejected {
    throw new UnsupportedOperationException(id + " holds no metric CareLake ingests");
  }

  /** The layout a header names, if any (case, surrounding spaces and a byte-order mark ignored). */
  static Optional<WearableFormat> detect(String[] header) {
    List<String> names = new ArrayList<>();
    for (String h : header) {
      names.add(h == null ? "" : org.carelake.pipelines.MappingCsv.stripBom(h).trim().toLowerCase(Locale.ROOT));
    }
    for (WearableFormat f : values()) {
      if (f.matches(names)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  static String expected() {
    return "a Fitabase export file (e.g. minuteStepsNarrow_merged.csv: Id,ActivityMinute,Steps) or the generic layout "
        + "device_id,timestamp,metric,value,unit[,end_timestamp]";
  }

  private static List<String> cols(String csv) {
    return List.of(csv.split(","));
  }

  private static List<String> wide(String prefix) {
    List<String> out = new ArrayList<>(List.of("id", "activityhour"));
    for (int m = 0; m < 60; m++) {
      out.add(String.format(Locale.ROOT, "%s%02d", prefix, m));
    }
    return out;
  }

  /** A value measured over a whole local calendar day (e.g. Fitabase daily totals). */
  private static Measurement wholeDay(Metric metric, double value, LocalDate day, ZoneId zone) throws Rejected {
    Instant start = day.atStartOfDay(zone).toInstant();
    Instant end = day.plusDays(1).atStartOfDay(zone).toInstant();
    Values.checkPlausible(metric, value, Duration.between(start, end).toSeconds());
    return new Measurement(metric, start, end, value, day, null);
  }

  private static Measurement span(Metric metric, double value, LocalDateTime localStart, Duration length, ZoneId zone) throws Rejected {
    Instant start = Values.atZone(localStart, zone);
    Values.checkPlausible(metric, value, length.toSeconds());
    return new Measurement(metric, start, start.plus(length), value, localStart.toLocalDate(), null);
  }

  private static List<Measurement> minutesOfHour(Metric metric, String[] c, String prefix, ZoneId zone,
      java.util.function.DoubleUnaryOperator convert) throws Rejected {
    LocalDateTime hour = Values.usLocal(c[1], "ActivityHour");
    List<Measurement> out = new ArrayList<>(60);
    for (int m = 0; m < 60; m++) {
      double v = convert.applyAsDouble(Values.number(c[2 + m], String.format(Locale.ROOT, "%s%02d", prefix, m)));
      out.add(span(metric, v, hour.plusMinutes(m), MINUTE, zone));
    }
    return out;
  }

  /** Fitbit minute intensity: 0 sedentary, 1 light, 2 fairly, 3 very active; 2 and 3 count as active. */
  private static double activeMinute(double intensity) {
    return intensity >= 2 ? 1.0 : 0.0;
  }

  private static void notWorn(double sedentaryMinutes, double steps) throws Rejected {
    if (sedentaryMinutes >= 1440 && steps == 0) {
      throw new Rejected(Reason.DEVICE_NOT_WORN, "1,440 sedentary minutes and no steps: the device was not worn that day");
    }
  }

  /**
   * A measurement given with its unit and UTC span (generic and Open mHealth records): normalized,
   * checked, and placed on the device's local day (a sleep on the day it ends).
   */
  static Measurement measured(Metric metric, double value, String unit, Instant start, Instant end, ZoneId zone, String session)
      throws Rejected {
    if (end.isBefore(start)) {
      throw new Rejected(Reason.INVALID_TIME_FRAME, "the time frame ends before it starts");
    }
    double normalized = Values.normalize(metric, value, unit);
    Values.checkPlausible(metric, normalized, Duration.between(start, end).toSeconds());
    Instant dayOf = metric == Metric.SLEEP && end.isAfter(start) ? end.minusSeconds(1) : start;
    return new Measurement(metric, start, end, normalized, LocalDate.ofInstant(dayOf, zone), session);
  }
}
