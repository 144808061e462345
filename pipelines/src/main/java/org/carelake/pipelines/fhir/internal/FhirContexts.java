package org.carelake.pipelines.fhir.internal;

import ca.uhn.fhir.context.FhirContext;

/** One HAPI R4 context per JVM: building one costs seconds, and it is thread-safe once built. */
public final class FhirContexts {

  private FhirContexts() {}

  public static FhirContext r4() {
    return FhirContext.forR4Cached();
  }
}
