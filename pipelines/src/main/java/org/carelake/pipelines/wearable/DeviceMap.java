package org.carelake.pipelines.wearable;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.carelake.core.CareLakeException;
import org.carelake.core.Pseudonymizer;
import org.carelake.pipelines.MappingCsv;

/**
 * {@code devices.csv}: which patient wears which device (or vendor user id), and the device's time
 * zone, which turns vendors' local wall-clock times into UTC. Columns {@code device_id},
 * {@code patient_id} (the EHR patient's source id) and {@code time_zone} (an IANA zone such as
 * {@code America/Chicago}).
 *
 * <p>Only pseudonyms travel to Spark tasks: the map holds the keyed hash of each device and patient
 * id, never the source ids.
 */
public final class DeviceMap implements Serializable {

  private static final long serialVersionUID = 1L;

  public static final List<String> COLUMNS = List.of("device_id", "patient_id", "time_zone");

  /** A mapped device: its pseudonym, its patient's key and its time zone. */
  public record Device(String deviceKey, String patientKey, String timeZone) implements Serializable {}

  private final Map<String, Device> byDeviceId;
  private final Pseudonymizer keys;

  private DeviceMap(Map<String, Device> byDeviceId, Pseudonymizer keys) {
    this.byDeviceId = byDeviceId;
    this.keys = keys;
  }

  /** Loads and validates the file; any problem is a clear error naming the line and the fix. */
  public static DeviceMap load(Path file, Pseudonymizer keys) {
    Map<String, Device> devices = new HashMap<>();
    for (MappingCsv.Line line : MappingCsv.read(file, "The device map", COLUMNS)) {
      String device = line.get("device_id");
      String patient = line.get("patient_id");
      String zone = line.get("time_zone");
      if (device == null || patient == null || zone == null) {
        throw CareLakeException.badInput(line.where() + " leaves device_id, patient_id or time_zone empty.",
            "fill in all three columns, or remove the line.");
      }
      try {
        ZoneId.of(zone);
      } catch (DateTimeException e) {
        throw CareLakeException.badInput(line.where() + " names an unknown time zone '" + zone + "'.",
            "use an IANA zone id such as America/New_York or Europe/Berlin.");
      }
      Device previous = devices.put(device, new Device(keys.resourceKey("Device", device), keys.patientKey(patient), zone));
      if (previous != null) {
        throw CareLakeException.badInput(line.where() + " maps a device id that an earlier line already maps.",
            "keep one line per device id.");
      }
    }
    return new DeviceMap(devices, keys);
  }

  /** A map with no devices: every record is kept aside as unmapped. */
  public static DeviceMap empty(Pseudonymizer keys) {
    return new DeviceMap(Map.of(), keys);
  }

  public Optional<Device> find(String deviceId) {
    return Optional.ofNullable(deviceId == null ? null : byDeviceId.get(deviceId));
  }

  /** The pseudonym of an unmapped device, so quarantined rows can be grouped without the raw id. */
  public String deviceKey(String deviceId) {
    return keys.resourceKey("Device", deviceId);
  }

  public int size() {
    return byDeviceId.size();
  }

  /** Every mapped device. */
  public java.util.Collection<Device> devices() {
    return java.util.Collections.unmodifiableCollection(byDeviceId.values());
  }

  /** The patient keys the map names (to check against silver.patient). */
  public java.util.Set<String> patientKeys() {
    java.util.Set<String> out = new java.util.HashSet<>();
    byDeviceId.values().forEach(d -> out.add(d.patientKey()));
    return out;
  }

}
