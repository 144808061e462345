package org.carelake.pipelines.fhir.internal;

import static org.carelake.pipelines.fhir.internal.Values.code;
import static org.carelake.pipelines.fhir.internal.Values.display;
import static org.carelake.pipelines.fhir.internal.Values.first;
import static org.carelake.pipelines.fhir.internal.Values.system;
import static org.carelake.pipelines.fhir.internal.Values.time;

import org.carelake.core.Pseudonymizer;
import org.carelake.core.schema.AllergyIntoleranceSchema;
import org.carelake.core.schema.CarePlanSchema;
import org.carelake.core.schema.ClaimSchema;
import org.carelake.core.schema.DiagnosticReportSchema;
import org.carelake.core.schema.ImmunizationSchema;
import org.carelake.core.schema.ProcedureSchema;
import org.hl7.fhir.r4.model.AllergyIntolerance;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.Claim;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Immunization;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Resource;

/** Silver mappings of the clinical and financial resource types beyond the core five. */
final class ClinicalMappers {

  private ClinicalMappers() {}

  static final class ProcedureMapper extends BaseMapper {
    private static final long serialVersionUID = 1L;

    ProcedureMapper() {
      super("Procedure", ProcedureSchema.TABLE, ProcedureSchema.SCHEMA, ProcedureSchema.PROCEDURE_KEY);
    }

    @Override
    public Object[] values(Resource resource, Pseudonymizer keys) {
      Procedure p = (Procedure) resource;
      Coding c = first(p.getCode());
      boolean period = p.hasPerformedPeriod();
      return new Object[] {ownKey(p, keys), patient(p.getSubject(), keys), encounter(p.getEncounter(), keys),
        p.hasStatus() ? p.getStatus().toCode() : null, system(c), code(c), display(c),
        period ? time(p.getPerformedPeriod().getStartElement()) : p.hasPerformedDateTimeType() ? time(p.getPerformedDateTimeType()) : null,
        period ? time(p.getPerformedPeriod().getEndElement()) : null};
    }
  }

  static final class ImmunizationMapper extends BaseMapper {
    private static final long serialVersionUID = 1L;

    ImmunizationMapper() {
      super("Immunization", ImmunizationSchema.TABLE, ImmunizationSchema.SCHEMA, ImmunizationSchema.IMMUNIZATION_KEY);
    }

    @Override
    public Object[] values(Resource resource, Pseudonymizer keys) {
      Immunization i = (Immunization) resource;
      Coding c = first(i.getVaccineCode());
      return new Object[] {ownKey(i, keys), patient(i.getPatient(), keys), encounter(i.getEncounter(), keys),
        i.hasStatus() ? i.getStatus().toCode() : null, system(c), code(c), display(c),
        i.hasOccurrenceDateTimeType() ? time(i.getOccurrenceDateTimeType()) : null};
    }
  }

  static final class AllergyMapper extends BaseMapper {
    private static final long serialVersionUID = 1L;

    AllergyMapper() {
      super("AllergyIntolerance", AllergyIntoleranceSchema.TABLE, AllergyIntoleranceSchema.SCHEMA, AllergyIntoleranceSchema.ALLERGY_KEY);
    }

    @Override
    public Object[] values(Resource resource, Pseudonymizer keys) {
      AllergyIntolerance a = (AllergyIntolerance) resource;
      Coding c = first(a.getCode());
      return new Object[] {ownKey(a, keys), patient(a.getPatient(), keys),
        a.hasClinicalStatus() ? code(first(a.getClinicalStatus())) : null,
        a.hasVerificationStatus() ? code(first(a.getVerificationStatus())) : null,
        a.hasCategory() ? a.getCategory().get(0).getValueAsString() : null,
        a.hasCriticality() ? a.getCriticality().toCode() : null,
        system(c), code(c), display(c),
        a.hasOnsetDateTimeType() ? time(a.getOnsetDateTimeType()) : null,
        a.hasRecordedDate() ? time(a.getRecordedDateElement()) : null};
    }
  }

  static final class DiagnosticReportMapper extends BaseMapper {
    private static final long serialVersionUID = 1L;

    DiagnosticReportMapper() {
      super("DiagnosticReport", DiagnosticReportSchema.TABLE, DiagnosticReportSchema.SCHEMA, DiagnosticReportSchema.DIAGNOSTIC_REPORT_KEY);
    }

    @Override
    public Object[] values(Resource resource, Pseudonymizer keys) {
      DiagnosticReport d = (DiagnosticReport) resource;
      Coding c = first(d.getCode());
      return new Object[] {ownKey(d, keys), patient(d.getSubject(), keys), encounter(d.getEncounter(), keys),
        d.hasStatus() ? d.getStatus().toCode() : null, d.hasCategory() ? code(first(d.getCategoryFirstRep())) : null,
        system(c), code(c), display(c),
        d.hasEffectiveDateTimeType() ? time(d.getEffectiveDateTimeType())
            : d.hasEffectivePeriod() ? time(d.getEffectivePeriod().getStartElement()) : null,
        d.hasIssued() ? time(d.getIssuedElement()) : null};
    }
  }

  static final class CarePlanMapper extends BaseMapper {
    private static final long serialVersionUID = 1L;

    CarePlanMapper() {
      super("CarePlan", CarePlanSchema.TABLE, CarePlanSchema.SCHEMA, CarePlanSchema.CARE_PLAN_KEY);
    }

    @Override
    public Object[] values(Resource resource, Pseudonymizer keys) {
      CarePlan p = (CarePlan) resource;
      // Synthea's first category is the generic "assess-plan"; the clinical one follows it.
      Coding c = p.getCategory().size() > 1 ? first(p.getCategory().get(1)) : p.hasCategory() ? first(p.getCategoryFirstRep()) : new Coding();
      return new Object[] {ownKey(p, keys), patient(p.getSubject(), keys), encounter(p.getEncounter(), keys),
        p.hasStatus() ? p.getStatus().toCode() : null, p.hasIntent() ? p.getIntent().toCode() : null,
        system(c), code(c), display(c),
        p.hasPeriod() ? time(p.getPeriod().getStartElement()) : null,
        p.hasPeriod() ? time(p.getPeriod().getEndElement()) : null};
    }
  }

  static final class ClaimMapper extends BaseMapper {
    private static final long serialVersionUID = 1L;

    ClaimMapper() {
      super("Claim", ClaimSchema.TABLE, ClaimSchema.SCHEMA, ClaimSchema.CLAIM_KEY);
    }

    @Override
    public Object[] values(Resource resource, Pseudonymizer keys) {
      Claim c = (Claim) resource;
      String payer = c.hasInsurance() && c.getInsuranceFirstRep().getCoverage().hasDisplay()
          ? c.getInsuranceFirstRep().getCoverage().getDisplay() : null;
      return new Object[] {ownKey(c, keys), patient(c.getPatient(), keys), c.hasStatus() ? c.getStatus().toCode() : null,
        c.hasType() ? code(first(c.getType())) : null, payer,
        c.hasCreated() ? time(c.getCreatedElement()) : null,
        c.hasTotal() && c.getTotal().hasValue() ? c.getTotal().getValue().doubleValue() : null,
        c.hasTotal() ? c.getTotal().getCurrency() : null};
    }
  }
}
