package org.carelake.pipelines.fhir.internal;

import java.sql.Date;
import java.sql.Timestamp;
import java.time.LocalDate;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Reference;

/** Small conversions from HAPI R4 model values to Spark row values. */
final class Values {

  private Values() {}

  /** An instant in UTC; a value without a zone is read as UTC (the JVM runs with user.timezone=UTC). */
  static Timestamp time(BaseDateTimeType value) {
    return value == null || value.isEmpty() || value.getValue() == null ? null : new Timestamp(value.getValue().getTime());
  }

  /** A calendar date; partial dates ({@code 1980}, {@code 1980-04}) take their first day. */
  static Date date(org.hl7.fhir.r4.model.DateType value) {
    if (value == null || value.isEmpty() || value.getYear() == null) {
      return null;
    }
    int month = value.getMonth() == null ? 1 : value.getMonth() + 1;
    int day = value.getDay() == null ? 1 : value.getDay();
    return Date.valueOf(LocalDate.of(value.getYear(), month, day));
  }

  /** The first coding of a concept, or an empty coding. */
  static Coding first(CodeableConcept concept) {
    if (concept == null || !concept.hasCoding()) {
      return new Coding();
    }
    return concept.getCodingFirstRep();
  }

  static String system(Coding c) {
    return c.hasSystem() ? c.getSystem() : null;
  }

  static String code(Coding c) {
    return c.hasCode() ? c.getCode() : null;
  }

  static String display(Coding c) {
    return c.hasDisplay() ? c.getDisplay() : null;
  }

  /** Display of a concept: the coding's display, else the concept's text. */
  static String display(CodeableConcept concept) {
    Coding c = first(concept);
    return c.hasDisplay() ? c.getDisplay() : concept != null && concept.hasText() ? concept.getText() : null;
  }

  /**
   * The id part of a reference, in any of the forms exports use: {@code Patient/123},
   * {@code urn:uuid:123}, or an absolute URL ending in {@code Patient/123}. Conditional references
   * ({@code Patient?identifier=...}) have no id and give null.
   */
  static String idPart(Reference reference) {
    if (reference == null || !reference.hasReference()) {
      return null;
    }
    String ref = reference.getReference();
    if (ref.startsWith("urn:uuid:")) {
      return ref.substring("urn:uuid:".length());
    }
    if (ref.contains("?")) {
      return null;
    }
    return reference.getReferenceElement().getIdPart();
  }
}
