package org.carelake.pipelines.wearable;

import java.util.List;
import java.util.Map;
import org.carelake.core.TableWrite;

/**
 * What one wearable ingest did, reconciled twice:
 *
 * <ul>
 *   <li>records (CSV lines, data points): {@code read == accepted + quarantined};
 *   <li>measurements of accepted records (a wide Fitabase line holds 60, a daily activity line 2):
 *       {@code measurements == written + unchanged + duplicates}, where duplicates repeat a
 *       measurement (same device, metric and time span) another record of this run also holds,
 *       and unchanged ones were already stored with the same content.
 * </ul>
 *
 * @param filesNotIngested files recognised but holding no metric of the vocabulary (e.g. calories), with why
 * @param recordsByFormat records read per source layout
 * @param quarantinedByReason quarantined records per {@link Reason}
 * @param unmappedDevices distinct unmapped devices (their records are in the quarantine until mapped)
 * @param devicesWithoutPatient mapped devices whose patient is not in silver.patient (a warning: wearable data may arrive first)
 * @param daysUpdated patient-days of gold.wearable_daily recomputed (only the days this run's data touched)
 */
public record WearableIngestResult(
    String runId, int files, int skippedFiles, Map<String, String> filesNotIngested, Map<String, Long> recordsByFormat,
    long accepted, Map<String, Long> quarantinedByReason, long measurements, long written, long unchanged, long duplicates,
    long unmappedDevices, long devicesWithoutPatient, long daysUpdated, List<TableWrite> writes) {

  public long read() {
    return recordsByFormat.values().stream().mapToLong(Long::longValue).sum();
  }

  public long quarantined() {
    return quarantinedByReason.values().stream().mapToLong(Long::longValue).sum();
  }

  public boolean reconciles() {
    return read() == accepted + quarantined() && measurements == written + unchanged + duplicates;
  }
}
