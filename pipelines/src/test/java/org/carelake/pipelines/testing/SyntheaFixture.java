package org.carelake.pipelines.testing;

import java.nio.file.Path;
import java.time.LocalDate;
import org.carelake.core.Progress;
import org.carelake.pipelines.fhir.internal.Mappers;
import org.carelake.pipelines.synthea.SyntheaGenerator;
import org.carelake.pipelines.synthea.SyntheaOptions;

/**
 * The seeded Synthea population tests share: generated once per build (cached under the top-level
 * target folder) with a fixed seed and reference date, so every module's tests see the same data.
 */
public final class SyntheaFixture {

  public static final int PATIENTS = 150;
  public static final long SEED = 42;

  private SyntheaFixture() {}

  public static SyntheaOptions options() {
    return new SyntheaOptions(PATIENTS, SEED, LocalDate.of(2025, 1, 1), SyntheaOptions.DEFAULT_STATE,
        Mappers.DEMO_TYPES);
  }

  public static Path cacheRoot() {
    String configured = System.getProperty("carelake.test.synthea.cache");
    return Path.of(configured != null ? configured : "target/test-synthea");
  }

  /** The NDJSON folder of the shared population. */
  public static synchronized Path ndjson() {
    return new SyntheaGenerator(cacheRoot()).generate(options(), Progress.silent());
  }
}
