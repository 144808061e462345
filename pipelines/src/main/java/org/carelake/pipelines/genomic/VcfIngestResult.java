package org.carelake.pipelines.genomic;

import java.util.List;
import java.util.Map;
import org.carelake.core.TableWrite;

/**
 * What one {@code ingest vcf} run did, in counts that add up:
 *
 * <ul>
 *   <li>records read = accepted + quarantined;
 *   <li>variant rows (one per ALT allele of the accepted records) = written + unchanged +
 *       duplicates (a second record of one file for the same variant) + in several files (the
 *       same variant in several files of the run: one row);
 *   <li>calls (variant rows x samples) = written + of unmapped samples + superseded (a sample a
 *       later file of the run also has) + of duplicate records.
 * </ul>
 */
public record VcfIngestResult(
    String runId,
    int files,
    int skippedFiles,
    long records,
    long accepted,
    long quarantined,
    Map<String, Long> quarantinedByReason,
    long variantRows,
    long variantsWritten,
    long variantsUnchanged,
    long duplicateVariants,
    long variantsInSeveralFiles,
    long calls,
    long callsWritten,
    long callsOfUnmappedSamples,
    long callsSuperseded,
    long callsOfDuplicates,
    int samplesLinked,
    List<String> unmappedSamples,
    int patientsNamedTwice,
    int samplesWithoutResultDate,
    Map<String, Long> warnings,
    List<TableWrite> writes) {

  static VcfIngestResult nothing(String runId, int skipped) {
    return new VcfIngestResult(runId, 0, skipped, 0, 0, 0, Map.of(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, List.of(), 0, 0, Map.of(), List.of());
  }

  public boolean reconciles() {
    return records == accepted + quarantined
        && variantRows == variantsWritten + variantsUnchanged + duplicateVariants + variantsInSeveralFiles
        && calls == callsWritten + callsOfUnmappedSamples + callsSuperseded + callsOfDuplicates;
  }
}
