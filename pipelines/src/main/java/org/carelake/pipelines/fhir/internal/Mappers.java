package org.carelake.pipelines.fhir.internal;

import static org.carelake.pipelines.fhir.internal.Values.code;
import static org.carelake.pipelines.fhir.internal.Values.display;
import static org.carelake.pipelines.fhir.internal.Values.first;
import static org.carelake.pipelines.fhir.internal.Values.idPart;
import static org.carelake.pipelines.fhir.internal.Values.system;
import static org.carelake.pipelines.fhir.internal.Values.time;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.Pseudonymizer;
import org.carelake.core.TableId;
import org.carelake.core.schema.ConditionSchema;
import org.carelake.core.schema.EncounterSchema;
import org.carelake.core.schema.MedicationRequestSchema;
import org.carelake.core.schema.ObservationSchema;
import org.carelake.core.schema.PatientSchema;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Type;

/**
 * The silver mappings, one per resource type. Each reads only the fields its table keeps: names,
 * address lines, telecom and identifiers are never read, so they cannot leak into silver.
 */
public final class Mappers {

  static final String US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
  static final String US_CORE_ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity";

  public static final List<ResourceMapper> ALL = List.of(
      new PatientMapper(), new EncounterMapper(), new ConditionMapper(), new ObservationMapper(), new MedicationRequestMapper(),
      new ClinicalMappers.ProcedureMapper(), new ClinicalMappers.ImmunizationMapper(), new ClinicalMappers.AllergyMapper(),
      new ClinicalMappers.DiagnosticReportMapper(), new ClinicalMappers.CarePlanMapper(), new ClinicalMappers.ClaimMapper());

  /**
   * Resource types the demo generates: every silver type except DiagnosticReport, whose report text
   * is a large share of a Synthea export and feeds nothing the demo uses. Claim stays: its payer is
   * the payer type the data bias report groups patients by. (Synthea 3.3.0 writes an
   * ExplanationOfBenefit with every medication claim whatever the list says; those go to bronze.)
   */
  public static final List<String> DEMO_TYPES = List.of("Patient", "Encounter", "Condition", "Observation", "MedicationRequest",
      "Procedure", "Immunization", "AllergyIntolerance", "CarePlan", "Claim");

  public static final Map<String, ResourceMapper> BY_TYPE =
      ALL.stream().collect(Collectors.toUnmodifiableMap(ResourceMapper::resourceType, Function.identity()));

  private Mappers() {}

  static final class PatientMapper extends BaseMapper {
    private static final long serialVersionUID = 1L;

    PatientMapper() {
      super("Patient", PatientSchema.TABLE, PatientSchema.SCHEMA, PatientSchema.PATIENT_KEY);
    }

    @Override
    public Object[] values(Resource resource, Pseudonymizer keys) {
      Patient p = (Patient) resource;
      Coding race = usCoreCategory(p, US_CORE_RACE);
      Coding ethnicity = usCoreCategory(p, US_CORE_ETHNICITY);
      Address address = p.hasAddress() ? p.getAddressFirstRep() : new Address();
      String zip = address.hasPostalCode() ? address.getPostalCode().replaceAll("[^0-9]", "") : "";
      return new Object[] {
        keys.patientKey(p.getIdElement().getIdPart()),
        p.hasGender() ? p.getGender().toCode() : null,
        Values.date(p.getBirthDateElement()),
        p.hasDeceasedDateTimeType() ? time(p.getDeceasedDateTimeType()) : null,
        code(race),
        display(race),
        code(ethnicity),
        display(ethnicity),
        address.hasState() ? address.getState() : null,
        zip.length() >= 3 ? zip.substring(0, 3) : null,
      };
    }

    /** The OMB category of a US Core race/ethnicity extension, falling back to its text. */
    private static Coding usCoreCategory(Patient p, String url) {
      Extension ext = p.getExtensionByUrl(url);
      if (ext == null) {
        return new Coding();
      }
      Extension omb = ext.getExtensionByUrl("ombCategory");
      if (omb != null && omb.getValue() instanceof Coding c) {
        return c;
      }
      Extension text = ext.getExtensionByUrl("text");
      return text != null && text.hasValue() ? new Coding().setDisplay(text.getValue().primitiveValue()) : new Coding();
    }
  }

  static final class EncounterMapper extends BaseMapper {
    private static final long serialVersionUID = 1L;

    EncounterMapper() {
      super("Encounter", EncounterSchema.TABLE, EncounterSchema.SCHEMA, EncounterSchema.ENCOUNTER_KEY);
    }

    @Override
    public Object[] values(Resource resource, Pseudonymizer keys) {
      Encounter e = (Encounter) resource;
      Coding type = e.hasType() ? first(e.getTypeFirstRep()) : new Coding();
      return new Object[] {
        keys.resourceKey("Encounter", e.getIdElement().getIdPart()),
        patient(e.getSubject(), keys),
        e.hasStatus() ? e.getStatus().toCode() : null,
        e.hasClass_() ? e.getClass_().getCode() : null,
        system(type),
        code(type),
        display(type),
        e.hasPeriod() ? time(e.getPeriod().getStartElement()) : null,
        e.hasPeriod() ? time(e.getPeriod().getEndElement()) : null,
      };
    }
  }

  static final class ConditionMapper extends BaseMapper {
    private static final long serialVersionUID = 1L;

    ConditionMapper() {
      super("Condition", ConditionSchema.TABLE, ConditionSchema.SCHEMA, ConditionSchema.CONDITION_KEY);
    }

    @Override
    public Object[] values(Resource resource, Pseudonymizer keys) {
      Condition c = (Condition) resource;
      Coding code = first(c.getCode());
      return new Object[] {
        keys.resourceKey("Condition", c.getIdElement().getIdPart()),
        patient(c.getSubject(), keys),
        encounter(c.getEncounter(), keys),
        system(code),
        code(code),
        display(code),
        c.hasClinicalStatus() ? code(first(c.getClinicalStatus())) : null,
        c.hasVerificationStatus() ? code(first(c.getVerificationStatus())) : null,
        c.hasOnsetDateTimeType() ? time(c.getOnsetDateTimeType()) : null,
        c.hasAbatementDateTimeType() ? time(c.getAbatementDateTimeType()) : null,
        c.hasRecordedDate() ? time(c.getRecordedDateElement()) : null,
      };
    }
  }

  static final class ObservationMapper extends BaseMapper {
    private static final long serialVersionUID = 1L;

    ObservationMapper() {
      super("Observation", ObservationSchema.TABLE, ObservationSchema.SCHEMA, ObservationSchema.OBSERVATION_KEY);
    }

    @Override
    public Object[] values(Resource resource, Pseudonymizer keys) {
      Observation o = (Observation) resource;
      Coding code = first(o.getCode());
      Object[] value = value(o.hasValue() ? o.getValue() : null);
      List<Row> components = new ArrayList<>();
      for (Observation.ObservationComponentComponent component : o.getComponent()) {
        Coding cc = first(component.getCode());
        Object[] cv = value(component.hasValue() ? component.getValue() : null);
        components.add(new GenericRowWithSchema(new Object[] {system(cc), code(cc), display(cc), cv[0], cv[1], cv[2], cv[3], cv[4]},
            ObservationSchema.COMPONENT));
      }
      return new Object[] {
        keys.resourceKey("Observation", o.getIdElement().getIdPart()),
        patient(o.getSubject(), keys),
        encounter(o.getEncounter(), keys),
        o.hasStatus() ? o.getStatus().toCode() : null,
        o.hasCategory() ? code(first(o.getCategoryFirstRep())) : null,
        system(code),
        code(code),
        display(code),
        effective(o),
        value[0],
        value[1],
        value[2],
        value[3],
        value[4],
        components.toArray(new Row[0]),
      };
    }

    private static java.sql.Timestamp effective(Observation o) {
      if (o.hasEffectiveDateTimeType()) {
        return time(o.getEffectiveDateTimeType());
      }
      if (o.hasEffectivePeriod()) {
        return time(o.getEffectivePeriod().getStartElement());
      }
      if (o.hasEffectiveInstantType()) {
        return time(o.getEffectiveInstantType());
      }
      return o.hasIssued() ? time(o.getIssuedElement()) : null;
    }

    /** quantity, UCUM unit, coded value system, code, display. */
    private static Object[] value(Type value) {
      if (value instanceof Quantity q && q.hasValue()) {
        return new Object[] {q.getValue().doubleValue(), q.hasCode() ? q.getCode() : q.getUnit(), null, null, null};
      }
      if (value instanceof CodeableConcept concept) {
        Coding c = first(concept);
        return new Object[] {null, null, system(c), code(c), display(concept)};
      }
      return new Object[5];
    }
  }

  static final class MedicationRequestMapper extends BaseMapper {
    private static final long serialVersionUID = 1L;

    MedicationRequestMapper() {
      super("MedicationRequest", MedicationRequestSchema.TABLE, MedicationRequestSchema.SCHEMA,
          MedicationRequestSchema.MEDICATION_REQUEST_KEY);
    }

    @Override
    public Object[] values(Resource resource, Pseudonymizer keys) {
      MedicationRequest m = (MedicationRequest) resource;
      Coding med = m.hasMedicationCodeableConcept() ? first(m.getMedicationCodeableConcept()) : new Coding();
      return new Object[] {
        keys.resourceKey("MedicationRequest", m.getIdElement().getIdPart()),
        patient(m.getSubject(), keys),
        encounter(m.getEncounter(), keys),
        m.hasStatus() ? m.getStatus().toCode() : null,
        m.hasIntent() ? m.getIntent().toCode() : null,
        system(med),
        code(med),
        display(med),
        m.hasAuthoredOn() ? time(m.getAuthoredOnElement()) : null,
      };
    }
  }
}
