package org.carelake.pipelines.quality;

/** What a failed check means: {@code ERROR} stops downstream steps (exit 1); {@code WARNING} is reported. */
public enum Severity {
  ERROR,
  WARNING
}
