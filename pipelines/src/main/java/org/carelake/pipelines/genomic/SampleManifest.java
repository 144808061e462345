package org.carelake.pipelines.genomic;

import java.io.Serializable;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.carelake.core.CareLakeException;
import org.carelake.core.Pseudonymizer;
import org.carelake.pipelines.MappingCsv;

/**
 * {@code samples.csv}: which EHR patient each VCF sample belongs to. Columns {@code sample_id} (as
 * in the VCF's #CHROM line), {@code patient_id} (the EHR patient's source id) and, optionally,
 * {@code result_date} (ISO date or date-time: when the result was known; the event time of
 * genomic features). Only keyed hashes leave this class.
 */
public final class SampleManifest implements Serializable {

  private static final long serialVersionUID = 1L;

  public static final List<String> COLUMNS = List.of("sample_id", "patient_id");
  public static final String RESULT_DATE = "result_date";

  /** A mapped sample: its pseudonym, its patient's key and when it was resulted (null: not given). */
  public record Sample(String sampleKey, String patientKey, Timestamp resultTime) implements Serializable {}

  private final Map<String, Sample> bySampleId;
  private final int patientsNamedTwice;

  private SampleManifest(Map<String, Sample> bySampleId, int patientsNamedTwice) {
    this.bySampleId = bySampleId;
    this.patientsNamedTwice = patientsNamedTwice;
  }

  public static SampleManifest load(Path file, Pseudonymizer keys) {
    Map<String, Sample> samples = new LinkedHashMap<>();
    Map<String, Integer> perPatient = new HashMap<>();
    for (MappingCsv.Line line : MappingCsv.read(file, "The sample manifest", COLUMNS)) {
      String sample = line.get("sample_id");
      String patient = line.get("patient_id");
      if (sample == null || patient == null) {
        throw CareLakeException.badInput(line.where() + " leaves sample_id or patient_id empty.", "fill in both, or remove the line.");
      }
      Timestamp resulted = null;
      String date = line.get(RESULT_DATE);
      if (date != null) {
        resulted = parseTime(date).orElseThrow(() -> CareLakeException.badInput(line.where() + " has a result_date that is not an ISO"
            + " date or date-time.", "write it as 2024-03-01 or 2024-03-01T09:30:00Z."));
      }
      String patientKey = keys.patientKey(patient);
      if (samples.put(sample, new Sample(keys.resourceKey("Sample", sample), patientKey, resulted)) != null) {
        throw CareLakeException.badInput(line.where() + " names a sample id that an earlier line already maps.",
            "keep one line per sample id (a sample belongs to one patient).");
      }
      perPatient.merge(patientKey, 1, Integer::sum);
    }
    int twice = (int) perPatient.values().stream().filter(n -> n > 1).count();
    return new SampleManifest(samples, twice);
  }

  private static Optional<Timestamp> parseTime(String s) {
    try {
      return Optional.of(Timestamp.from(LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant()));
    } catch (DateTimeParseException e) {
      try {
        return Optional.of(Timestamp.from(OffsetDateTime.parse(s).toInstant()));
      } catch (DateTimeParseException e2) {
        try {
          return Optional.of(Timestamp.from(Instant.parse(s)));
        } catch (DateTimeParseException e3) {
          return Optional.empty();
        }
      }
    }
  }

  public Optional<Sample> find(String sampleId) {
    return Optional.ofNullable(bySampleId.get(sampleId));
  }

  /** Patients that more than one sample names (each sample keeps its calls; later results win in gold). */
  public int patientsNamedTwice() {
    return patientsNamedTwice;
  }

  public int size() {
    return bySampleId.size();
  }

  /** The sample ids of {@code names} that the manifest does not map. */
  public List<String> unmapped(List<String> names) {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      if (!bySampleId.containsKey(n)) {
        out.add(n);
      }
    }
    return out;
  }
}
