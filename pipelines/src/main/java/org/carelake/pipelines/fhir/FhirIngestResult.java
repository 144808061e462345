package org.carelake.pipelines.fhir;

import java.util.List;
import java.util.Map;
import org.carelake.core.TableWrite;

/**
 * What one FHIR ingest did. Reconciliation: every record read is exactly one of upserted (new
 * content), unchanged (content already stored), deleted (a tombstone) or quarantined:
 * {@code read == upserted + unchanged + deleted + quarantined}.
 *
 * @param runId the ingest run id written to lineage columns
 * @param files input files read
 * @param skippedFiles input files skipped because the manifest records them with the same content
 * @param read records read (NDJSON lines, Bundle entries, whole-file resources)
 * @param unchanged accepted resources whose exact content was already in bronze
 * @param deleted tombstones read (Bundle DELETE entries)
 * @param silverRowsDeleted silver rows the tombstones removed
 * @param acceptedByType accepted resources per resourceType
 * @param quarantinedByReason quarantined records per reason code
 * @param writes what each table write did
 */
public record FhirIngestResult(
    String runId, int files, int skippedFiles, long read, long unchanged, long deleted, long silverRowsDeleted,
    Map<String, Long> acceptedByType, Map<String, Long> quarantinedByReason, List<TableWrite> writes) {

  public long accepted() {
    return acceptedByType.values().stream().mapToLong(Long::longValue).sum();
  }

  public long upserted() {
    return accepted() - unchanged;
  }

  public long quarantined() {
    return quarantinedByReason.values().stream().mapToLong(Long::longValue).sum();
  }

  public boolean reconciles() {
    return read == upserted() + unchanged + deleted + quarantined();
  }
}
