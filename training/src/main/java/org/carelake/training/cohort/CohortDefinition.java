package org.carelake.training.cohort;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.carelake.core.CareLakeException;
import org.carelake.core.Hashes;

/**
 * A target cohort in clinical terms, read from a YAML file under version control. Validated
 * completely when loaded, before any Spark job: a definition that cannot be right never runs.
 */
public record CohortDefinition(
    @JsonProperty("name") String name,
    @JsonProperty("description") String description,
    @JsonProperty("entry") Entry entry,
    @JsonProperty("study_period") Period studyPeriod,
    @JsonProperty("age_at_index") AgeRange ageAtIndex,
    @JsonProperty("prior_observation_days") int priorObservationDays,
    @JsonProperty("outcome") Outcome outcome,
    @JsonProperty("time_at_risk") TimeAtRisk timeAtRisk,
    @JsonProperty("inclusion") List<Criterion> inclusion,
    @JsonProperty("exclusion") List<Criterion> exclusion,
    String sourceText,
    String sourceHash) {

  /** The file's fields as written; the definition adds the file's hash. */
  private record Raw(
      @JsonProperty("name") String name,
      @JsonProperty("description") String description,
      @JsonProperty("entry") Entry entry,
      @JsonProperty("study_period") Period studyPeriod,
      @JsonProperty("age_at_index") AgeRange ageAtIndex,
      @JsonProperty("prior_observation_days") int priorObservationDays,
      @JsonProperty("outcome") Outcome outcome,
      @JsonProperty("time_at_risk") TimeAtRisk timeAtRisk,
      @JsonProperty("inclusion") List<Criterion> inclusion,
      @JsonProperty("exclusion") List<Criterion> exclusion) {}

  /** Code systems a concept set may use, by the URI FHIR uses. */
  public static final Map<String, String> CODE_SYSTEMS = Map.of(
      "http://snomed.info/sct", "SNOMED CT",
      "http://loinc.org", "LOINC",
      "http://www.nlm.nih.gov/research/umls/rxnorm", "RxNorm",
      "http://hl7.org/fhir/sid/icd-10-cm", "ICD-10-CM");

  /** The tables an entry event may come from. */
  public static final List<String> ENTRY_TABLES = List.of("condition", "encounter", "observation", "medication_request");

  public record Concepts(@JsonProperty("system") String system, @JsonProperty("codes") List<String> codes) {}

  public record Entry(@JsonProperty("table") String table, @JsonProperty("concepts") Concepts concepts) {}

  public record Period(@JsonProperty("start") LocalDate start, @JsonProperty("end") LocalDate end) {}

  public record AgeRange(@JsonProperty("min") int min, @JsonProperty("max") int max) {}

  public record Outcome(@JsonProperty("concepts") Concepts concepts, @JsonProperty("washout") boolean washout) {}

  /**
   * A rule over events in a window relative to the index date: an inclusion rule keeps patients
   * with at least one matching event in the window, an exclusion rule removes them.
   *
   * @param value for observation rules, the measured value must lie in this range
   */
  public record Criterion(@JsonProperty("name") String name, @JsonProperty("table") String table,
      @JsonProperty("concepts") Concepts concepts, @JsonProperty("window") Window window, @JsonProperty("value") ValueRange value) {}

  /** Days relative to index, both ends inclusive; negative is before index. */
  public record Window(@JsonProperty("start_days") Integer startDays, @JsonProperty("end_days") Integer endDays) {}

  public record ValueRange(@JsonProperty("min") Double min, @JsonProperty("max") Double max) {}

  public record TimeAtRisk(@JsonProperty("start_days") int startDays, @JsonProperty("end_days") int endDays) {}

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .registerModule(new JavaTimeModule())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  public static CohortDefinition load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw CareLakeException.badInput("Cannot read cohort definition " + file + ": " + CareLakeException.reason(e) + ".",
          "pass --cohort a readable YAML file, e.g. training/cohorts/incident-dysglycemia-3y.yaml.");
    }
    return parse(text, file.toString());
  }

  public static CohortDefinition parse(String yaml, String where) {
    Raw parsed;
    try {
      parsed = YAML.readValue(yaml, Raw.class);
    } catch (JsonMappingException e) {
      JsonLocation at = e.getLocation();
      String line = at == null ? "" : " line " + at.getLineNr();
      throw CareLakeException.badInput("Cohort definition " + where + line + ": " + CareLakeException.reason(e) + ".",
          "fields are name, description, entry{table, concepts{system, codes}}, study_period{start, end}, "
              + "age_at_index{min, max}, prior_observation_days, outcome{concepts, washout}, time_at_risk{start_days, end_days}, "
              + "and optional inclusion/exclusion lists of {name, table, concepts, window{start_days, end_days}, value{min, max}}.");
    } catch (IOException e) {
      throw CareLakeException.badInput("Cohort definition " + where + " is not valid YAML: " + CareLakeException.reason(e) + ".",
          "fix the YAML syntax.");
    }
    CohortDefinition withHash = new CohortDefinition(parsed.name, parsed.description, parsed.entry, parsed.studyPeriod,
        parsed.ageAtIndex, parsed.priorObservationDays, parsed.outcome, parsed.timeAtRisk,
        parsed.inclusion == null ? List.of() : List.copyOf(parsed.inclusion), parsed.exclusion == null ? List.of() : List.copyOf(parsed.exclusion),
        yaml, Hashes.sha256(yaml));
    withHash.validate(where);
    return withHash;
  }

  private void validate(String where) {
    require(name != null && name.matches("[a-z0-9][a-z0-9-]*"), where, "name must be lower-case words joined by '-'");
    require(entry != null && entry.table != null, where, "entry.table is missing");
    require(ENTRY_TABLES.contains(entry.table), where, "entry.table '" + entry.table + "' is not one of " + ENTRY_TABLES);
    concepts(entry.concepts, "entry.concepts", where);
    require(outcome != null, where, "outcome is missing");
    concepts(outcome.concepts, "outcome.concepts", where);
    require(studyPeriod != null && studyPeriod.start != null && studyPeriod.end != null, where, "study_period needs start and end");
    require(!studyPeriod.end.isBefore(studyPeriod.start), where, "study_period ends (" + studyPeriod.end + ") before it starts ("
        + studyPeriod.start + ")");
    require(ageAtIndex != null && ageAtIndex.min >= 0 && ageAtIndex.max >= ageAtIndex.min, where,
        "age_at_index needs 0 <= min <= max");
    require(priorObservationDays >= 0, where, "prior_observation_days must not be negative");
    require(timeAtRisk != null && timeAtRisk.startDays >= 0 && timeAtRisk.endDays > timeAtRisk.startDays, where,
        "time_at_risk needs 0 <= start_days < end_days (an impossible or empty window otherwise)");
    java.util.Set<String> names = new java.util.HashSet<>();
    for (List<Criterion> rules : List.of(inclusion, exclusion)) {
      String kind = rules == inclusion ? "inclusion" : "exclusion";
      for (int i = 0; i < rules.size(); i++) {
        criterion(rules.get(i), kind + "[" + i + "]", where);
        require(names.add(rules.get(i).name), where, kind + "[" + i + "].name '" + rules.get(i).name + "' is used twice");
      }
    }
  }

  private static void criterion(Criterion c, String field, String where) {
    require(c != null && c.name != null && !c.name.isBlank(), where, field + ".name is missing");
    require(c.table != null && ENTRY_TABLES.contains(c.table), where, field + ".table '" + c.table + "' is not one of " + ENTRY_TABLES);
    concepts(c.concepts, field + ".concepts", where);
    require(c.window != null && c.window.startDays != null && c.window.endDays != null, where,
        field + ".window needs start_days and end_days (days relative to index, negative = before)");
    require(c.window.startDays <= c.window.endDays, where, field + ".window starts (" + c.window.startDays + ") after it ends ("
        + c.window.endDays + ")");
    require(c.window.endDays <= 0, where, field + ".window ends " + c.window.endDays
        + " days after index; cohort rules may only use what is known at index (end_days <= 0)");
    if (c.value != null) {
      require("observation".equals(c.table), where, field + ".value only applies to observation rules");
      require(c.value.min != null || c.value.max != null, where, field + ".value needs min or max");
      require(c.value.min == null || c.value.max == null || c.value.min <= c.value.max, where, field + ".value min is above max");
    }
  }

  private static void concepts(Concepts c, String field, String where) {
    require(c != null && c.system != null, where, field + ".system is missing");
    require(CODE_SYSTEMS.containsKey(c.system), where, field + ".system '" + c.system + "' is not a known code system; use one of "
        + CODE_SYSTEMS.keySet());
    require(c.codes != null && !c.codes.isEmpty(), where, field + ".codes is empty");
    for (String code : c.codes) {
      require(code != null && code.matches("[A-Za-z0-9.\\-]{1,32}"), where, field + " has an invalid code '" + code + "'");
    }
  }

  private static void require(boolean ok, String where, String problem) {
    if (!ok) {
      throw CareLakeException.badInput("Cohort definition " + where + ": " + problem + ".",
          "edit the definition; see training/cohorts/ for complete examples.");
    }
  }

}
