package org.carelake.pipelines.synthea;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.carelake.core.CareLakeException;

/**
 * A reproducible Synthea population: the same options give byte-identical files.
 *
 * @param patients living patients to generate (Synthea adds the deceased it meets on the way)
 * @param seed population seed (also used as the clinician seed)
 * @param referenceDate the "today" of the simulation; fixed so runs do not depend on the clock
 * @param state US state to sample demographics from
 * @param resourceTypes FHIR resource types to export
 */
public record SyntheaOptions(int patients, long seed, LocalDate referenceDate, String state, List<String> resourceTypes) {

  public static final LocalDate DEFAULT_REFERENCE_DATE = LocalDate.of(2025, 1, 1);
  public static final String DEFAULT_STATE = "Massachusetts";

  public SyntheaOptions {
    if (patients < 1 || patients > 100_000) {
      throw CareLakeException.badInput("--patients must be between 1 and 100000, got " + patients + ".",
          "pick a population size in that range (the demo default is sized for a 2-core machine).");
    }
    resourceTypes = List.copyOf(resourceTypes);
  }

  /** A folder name that identifies this population, so a re-run reuses it. */
  public String cacheKey() {
    return "synthea-" + state.replace(' ', '_') + "-p" + patients + "-s" + seed + "-r"
        + referenceDate.format(DateTimeFormatter.BASIC_ISO_DATE) + "-" + Integer.toHexString(String.join(",", resourceTypes).hashCode())
        + "-v" + GENERATION;
  }

  /**
   * How populations are generated; a change makes earlier cached populations unused. 2: the
   * simulation ends at the reference date, on one thread (byte-identical runs).
   */
  static final int GENERATION = 2;
}
