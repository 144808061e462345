package org.carelake.pipelines.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.carelake.core.schema.PatientSchema;
import org.carelake.core.schema.QuarantineSchema.Reason;
import org.carelake.core.testing.TestKeys;
import org.carelake.pipelines.fhir.internal.FhirRecordParser;
import org.carelake.pipelines.fhir.internal.ParsedSchema;
import org.junit.jupiter.api.Test;
import scala.Function1;

class FhirRecordParserTest {

  private static final String PATIENT = """
      {"resourceType":"Patient","id":"p1","meta":{"versionId":"3","lastUpdated":"2024-05-01T10:00:00+02:00"},
       "extension":[{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race","extension":[
         {"url":"ombCategory","valueCoding":{"system":"urn:oid:2.16.840.1.113883.6.238","code":"2054-5","display":"Black or African American"}},
         {"url":"text","valueString":"Black or African American"}]}],
       "identifier":[{"type":{"coding":[{"code":"SS"}]},"value":"999-12-3456"}],
       "name":[{"family":"Zzyzxfamily","given":["Qwertygiven"]}],"telecom":[{"system":"phone","value":"555-0100"}],
       "gender":"female","birthDate":"1970-03-04",
       "address":[{"line":["1 Secret Lane"],"city":"Boston","state":"MA","postalCode":"02118"}]}""".replace("\n", "");

  /** Spark's own conversion of its rows into external ones: the parser's rows must convert like any Dataset's. */
  private static final Function1<Object, Object> EXTERNAL = CatalystTypeConverters.createToScalaConverter(ParsedSchema.SCHEMA);

  private final FhirRecordParser parser = new FhirRecordParser(TestKeys.pseudonymizer(), "run-1");

  private List<Row> parse(String json, String file, long position, String positionKind) {
    return parser.parse(json, file, position, positionKind).stream().map(r -> (Row) EXTERNAL.apply(r)).toList();
  }

  private Row one(String json) {
    List<Row> rows = parse(json, "/in/Patient.ndjson", 42L, ParsedSchema.POSITION_LINE_OFFSET);
    assertThat(rows).hasSize(1);
    return rows.get(0);
  }

  @Test
  void patientBecomesAPseudonymizedSilverRowWithoutDirectIdentifiers() {
    Row row = one(PATIENT);
    assertThat(row.<String>getAs(ParsedSchema.KIND)).isEqualTo(ParsedSchema.KIND_RESOURCE);
    assertThat(row.<String>getAs(ParsedSchema.VERSION_ID)).isEqualTo("3");
    assertThat(row.<java.sql.Timestamp>getAs(ParsedSchema.LAST_UPDATED).toInstant()).hasToString("2024-05-01T08:00:00Z");
    Row patient = row.getAs("patient");
    assertThat(patient.<String>getAs(PatientSchema.PATIENT_KEY)).isEqualTo(TestKeys.pseudonymizer().patientKey("p1"));
    assertThat(patient.<String>getAs(PatientSchema.RACE)).isEqualTo("Black or African American");
    assertThat(patient.<String>getAs(PatientSchema.ZIP3)).isEqualTo("021");
    assertThat(patient.<String>getAs(PatientSchema.STATE)).isEqualTo("MA");
    assertThat(patient.getAs(PatientSchema.BIRTH_DATE).toString()).isEqualTo("1970-03-04");
    assertThat(patient.toString()).as("no direct identifiers in the silver row")
        .doesNotContain("Zzyzxfamily", "Qwertygiven", "999-12-3456", "555-0100", "Secret Lane", "Boston", "p1");
  }

  @Test
  void malformedJsonIsQuarantinedWithLocationButWithoutEchoingContent() {
    Row row = one("{\"resourceType\":\"Patient\",\"id\":\"p2\",\"name\":[{\"family\":\"Leakyname\"");
    assertThat(row.<String>getAs(ParsedSchema.REASON_CODE)).isEqualTo(Reason.MALFORMED_JSON.name());
    assertThat(row.<String>getAs(ParsedSchema.REASON)).contains("Malformed JSON").contains("Fix:").doesNotContain("Leakyname");
    assertThat(row.<Long>getAs(ParsedSchema.SOURCE_POSITION)).isEqualTo(42L);
  }

  @Test
  void missingIdAndUnknownTypeAreQuarantinedWithTheirReasons() {
    assertThat(one("{\"resourceType\":\"Patient\",\"gender\":\"male\"}").<String>getAs(ParsedSchema.REASON_CODE))
        .isEqualTo(Reason.MISSING_ID.name());
    Row unknown = one("{\"resourceType\":\"Spaceship\",\"id\":\"x\"}");
    assertThat(unknown.<String>getAs(ParsedSchema.REASON_CODE)).isEqualTo(Reason.UNKNOWN_RESOURCE_TYPE.name());
    assertThat(unknown.<String>getAs(ParsedSchema.REASON)).contains("Spaceship");
  }

  @Test
  void stu3ShapedResourceIsRecognisedAsNotR4() {
    // STU3 Condition: clinicalStatus is a plain code and 'assertedDate' exists; R4 changed both.
    Row row = one("{\"resourceType\":\"Condition\",\"id\":\"c1\",\"clinicalStatus\":\"active\",\"assertedDate\":\"2010-01-01\","
        + "\"subject\":{\"reference\":\"Patient/p1\"},\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"44054006\"}]}}");
    assertThat(row.<String>getAs(ParsedSchema.REASON_CODE)).isEqualTo(Reason.NOT_R4.name());
    assertThat(row.<String>getAs(ParsedSchema.REASON)).contains("assertedDate").contains("STU3");
  }

  @Test
  void bundleEntriesAreRecordsAndUrnReferencesResolveToTheSamePatientKey() {
    String bundle = "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"fullUrl\":\"urn:uuid:p1\",\"resource\":"
        + PATIENT + ",\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}},{\"fullUrl\":\"urn:uuid:e1\",\"resource\":"
        + "{\"resourceType\":\"Encounter\",\"id\":\"e1\",\"status\":\"finished\",\"class\":{\"code\":\"AMB\"},"
        + "\"subject\":{\"reference\":\"urn:uuid:p1\"},\"period\":{\"start\":\"2020-01-01T10:00:00Z\"}}}]}";
    List<Row> rows = parse(bundle, "/in/b.json", 0L, ParsedSchema.POSITION_FILE);
    assertThat(rows).hasSize(2);
    assertThat(rows).extracting(r -> r.<Long>getAs(ParsedSchema.SOURCE_POSITION)).containsExactly(0L, 1L);
    Row encounter = rows.get(1).getAs("encounter");
    assertThat(encounter.<String>getAs("patient_key")).isEqualTo(TestKeys.pseudonymizer().patientKey("p1"));
  }
}
