package org.carelake.pipelines.fhir;

import java.util.List;
import java.util.Map;
import org.carelake.core.TableWrite;

/**
 * What one FHIR ingest did. Reconciliation: {@code read == accepted + quarantined}, and every
 * accepted resource is in bronze and, when its type has a silver table, in silver.
 *
 * @param runId the ingest run id written to lineage columns
 * @param files input files read
 * @param read records read (NDJSON lines, Bundle entries, whole-file resources)
 * @param acceptedByType accepted resources per resourceType
 * @param quarantinedByReason quarantined records per reason code
 * @param writes what each table write did
 */
public record FhirIngestResult(
    String runId, int files, long read, Map<String, Long> acceptedByType, Map<String, Long> quarantinedByReason, List<TableWrite> writes) {

  public long accepted() {
    return acceptedByType.values().stream().mapToLong(Long::longValue).sum();
  }

  public long quarantined() {
    return quarantinedByReason.values().stream().mapToLong(Long::longValue).sum();
  }

  public boolean reconciles() {
    return read == accepted() + quarantined();
  }
}
