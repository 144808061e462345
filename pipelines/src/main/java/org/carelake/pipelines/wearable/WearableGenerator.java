package org.carelake.pipelines.wearable;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.Period;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.carelake.core.Progress;
import org.carelake.core.io.MoreFiles;

/**
 * Plausible, seeded wearable exports for demo patients, in the three input families CareLake reads:
 * minute heart rate in the generic long CSV (ISO times with offsets), minute steps and nightly sleep
 * in the Fitabase layouts (US local times), weekly weight as Open mHealth data points; plus the
 * {@code devices.csv} that maps them to patients.
 *
 * <p>Streams vary with the person: resting heart rate rises with age, hypertension and diabetes;
 * daily steps fall with age and those conditions; older people sleep a little less. Devices come off
 * the wrist to charge for an hour or more most days, some days are not worn at all, and only some
 * people wear them at night, so coverage varies as in real exports. Same subjects, seed and days
 * give byte-identical files.
 */
public final class WearableGenerator {

  /** A patient who wears a device: the EHR source id and what shapes the streams. */
  public record Subject(String patientId, LocalDate birthDate, boolean female, boolean hypertension, boolean diabetes) {}

  private static final DateTimeFormatter US = DateTimeFormatter.ofPattern("M/d/yyyy h:mm:ss a", Locale.US);
  private static final DateTimeFormatter US_DATE = DateTimeFormatter.ofPattern("M/d/yyyy", Locale.US);
  private static final DateTimeFormatter ISO = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

  /** The folder under the target that holds the exports; {@code devices.csv} sits beside it. */
  public static final String EXPORTS = "exports";

  private WearableGenerator() {}

  /**
   * Writes the exports into {@code target/exports} and the device map to {@code target/devices.csv}
   * (reused when a previous run completed them).
   *
   * @param lastDay the last calendar day with data
   * @param days how many days up to {@code lastDay}
   */
  public static Path generate(List<Subject> subjects, LocalDate lastDay, int days, long seed, String timeZone, Path target,
      Progress progress) {
    Path done = target.resolve("_COMPLETE");
    if (Files.exists(done)) {
      progress.detail("reusing generated wearable exports in " + target);
      return target;
    }
    ZoneId zone = ZoneId.of(timeZone);
    try {
      MoreFiles.deleteRecursively(target);
      Path exports = Files.createDirectories(target.resolve(EXPORTS));
      try (BufferedWriter devices = writer(target.resolve("devices.csv"));
          BufferedWriter heart = writer(exports.resolve("heartrate_minutes.csv"));
          BufferedWriter steps = writer(exports.resolve("minuteStepsNarrow_merged.csv"));
          BufferedWriter sleep = writer(exports.resolve("sleepDay_merged.csv"));
          BufferedWriter weight = writer(exports.resolve("body_weight.json"))) {
        devices.write("device_id,patient_id,time_zone\n");
        heart.write("device_id,timestamp,metric,value,unit\n");
        steps.write("Id,ActivityMinute,Steps\r\n");
        sleep.write("Id,SleepDay,TotalSleepRecords,TotalMinutesAsleep,TotalTimeInBed\r\n");
        weight.write("[");
        boolean firstWeight = true;
        for (int i = 0; i < subjects.size(); i++) {
          Subject s = subjects.get(i);
          String device = String.valueOf(4_000_000_001L + i);
          devices.write(device + "," + s.patientId() + "," + timeZone + "\n");
          Random rnd = new Random(seed * 31 + s.patientId().hashCode());
          int age = Period.between(s.birthDate(), lastDay).getYears();
          double resting = 60 + rnd.nextGaussian() * 5 + Math.max(0, age - 40) * 0.12 + (s.hypertension() ? 5 : 0) + (s.diabetes() ? 3 : 0);
          double stepTarget = Math.max(1500, 9500 - Math.max(0, age - 30) * 70 - (s.hypertension() ? 1200 : 0) - (s.diabetes() ? 1500 : 0)
              + rnd.nextGaussian() * 1800);
          boolean wornAtNight = rnd.nextDouble() < 0.5;
          double kg = (s.female() ? 72 : 85) + rnd.nextGaussian() * 12 + (s.diabetes() ? 8 : 0);
          for (int d = days - 1; d >= 0; d--) {
            LocalDate day = lastDay.minusDays(d);
            if (rnd.nextDouble() < 0.06) {
              continue; // not worn at all today
            }
            int wake = 6 * 60 + 30 + (int) (rnd.nextGaussian() * 40);
            int bed = 22 * 60 + 45 + (int) (rnd.nextGaussian() * 40);
            int inBed = Math.max(240, Math.min(660, (24 * 60 - bed) + wake)); // previous evening to this morning
            int asleep = (int) Math.round(inBed * (0.86 + rnd.nextDouble() * 0.08) - Math.max(0, age - 60) * 0.8);
            sleep.write(device + "," + day.format(US_DATE) + " 12:00:00 AM,1," + asleep + "," + inBed + "\r\n");
            int chargeStart = rnd.nextDouble() < 0.7 ? wake + 30 + rnd.nextInt(Math.max(1, bed - wake - 120)) : -1;
            int chargeEnd = chargeStart < 0 ? -1 : chargeStart + 60 + rnd.nextInt(120);
            double walking = stepTarget * (0.7 + rnd.nextDouble() * 0.6) / 95.0 / Math.max(1, bed - wake);
            double dayResting = resting + rnd.nextGaussian() * 1.5;
            for (int m = 0; m < 24 * 60; m++) {
              boolean awake = m >= wake && m < bed;
              boolean charging = m >= chargeStart && m < chargeEnd;
              if (charging || (!awake && !wornAtNight)) {
                continue;
              }
              LocalDateTime local = day.atStartOfDay().plusMinutes(m);
              int stepsNow = 0;
              double bpm;
              if (!awake) {
                bpm = dayResting - 4 + rnd.nextGaussian() * 2;
              } else if (rnd.nextDouble() < walking) {
                stepsNow = 70 + rnd.nextInt(50);
                bpm = dayResting + 28 + stepsNow / 5.0 + rnd.nextGaussian() * 6;
              } else {
                stepsNow = rnd.nextDouble() < 0.2 ? rnd.nextInt(15) : 0;
                bpm = dayResting + 12 + rnd.nextGaussian() * 5;
              }
              bpm = Math.max(40, Math.min(185, bpm));
              heart.write(device + "," + local.atZone(zone).format(ISO) + ",heart_rate," + Math.round(bpm) + ",bpm\n");
              steps.write(device + "," + local.format(US) + "," + stepsNow + "\r\n");
            }
            if (d % 7 == 0) {
              kg += rnd.nextGaussian() * 0.4;
              String at = day.atStartOfDay().plusMinutes(wake + 10).atZone(zone).format(ISO);
              weight.write((firstWeight ? "" : ",") + "\n{\"header\":{\"user_id\":\"" + device
                  + "\",\"schema_id\":{\"namespace\":\"omh\",\"name\":\"body-weight\",\"version\":\"2.0\"}},\"body\":{\"body_weight\":"
                  + "{\"value\":" + String.format(Locale.ROOT, "%.1f", kg) + ",\"unit\":\"kg\"},\"effective_time_frame\":{\"date_time\":\""
                  + at + "\"}}}");
              firstWeight = false;
            }
          }
        }
        weight.write("\n]\n");
      }
      Files.writeString(done, "");
      progress.detail("generated wearable exports for " + subjects.size() + " patients, " + days + " days, in " + target);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write generated wearable exports to " + target, e);
    }
  }

  private static BufferedWriter writer(Path file) throws IOException {
    return Files.newBufferedWriter(file, StandardCharsets.UTF_8);
  }
}
