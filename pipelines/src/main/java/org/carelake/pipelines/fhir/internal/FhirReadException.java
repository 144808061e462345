package org.carelake.pipelines.fhir.internal;

/**
 * An input file that could not be read inside a Spark task (a truncated or corrupt gzip, an I/O
 * error), with a message naming the file; the ingest turns it into a bad-input error.
 */
public final class FhirReadException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public FhirReadException(String message, Throwable cause) {
    super(message, cause);
  }
}
