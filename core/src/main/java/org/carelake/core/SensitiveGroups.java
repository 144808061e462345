package org.carelake.core;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.months_between;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.carelake.core.schema.ClaimSchema;
import org.carelake.core.schema.PatientSchema;

/**
 * The sensitive attributes that data bias checks, cohort attrition and model fairness audits all
 * group by, defined once so they always agree: sex, race, ethnicity, age band and payer type. Age
 * bands are half-open {@code [lower, next lower)} in years. A patient's payer type is the payer of
 * their latest claim created on or before the date the groups are taken at, mapped to a type by
 * {@link PayerTypes}. The age bands and payer types come from the bias configuration (the built-in
 * {@code bias.yaml}, or a user's file in the same shape), the one config all three read.
 */
public record SensitiveGroups(List<String> attributes, List<Integer> ageBandLowerBounds, PayerTypes payerTypes) {

  public static final String SEX = "sex";
  public static final String RACE = "race";
  public static final String ETHNICITY = "ethnicity";
  public static final String AGE_BAND = "age_band";
  /** Each patient's payer type: the latest claim's payer, mapped by {@link PayerTypes}. */
  public static final String PAYER_TYPE = "payer_type";
  /** The value a missing attribute is grouped under (missingness is itself a group to audit). */
  public static final String UNKNOWN = "unknown";

  /** The attributes, in report order. */
  public static final List<String> ATTRIBUTES = List.of(SEX, RACE, ETHNICITY, AGE_BAND, PAYER_TYPE);

  /** Age band lower bounds when a configuration gives none: under 18, 18-39, 40-64, 65+. */
  private static final List<Integer> AGE_BANDS = List.of(18, 40, 65);

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The groups of the built-in bias configuration. */
  public static final SensitiveGroups DEFAULT = of(ConfigFile.read(null));

  /**
   * The groups of training sets recorded before payer type was a sensitive attribute (their record
   * names no groups), so they still rebuild as they were built.
   */
  public static final SensitiveGroups BEFORE_PAYER_TYPE = new SensitiveGroups(List.of(SEX, RACE, ETHNICITY, AGE_BAND), AGE_BANDS,
      new PayerTypes(Map.of(), "other"));

  public SensitiveGroups {
    attributes = List.copyOf(attributes);
    ageBandLowerBounds = List.copyOf(ageBandLowerBounds);
    if (!ATTRIBUTES.containsAll(attributes)) {
      throw new IllegalArgumentException("unknown sensitive attribute in " + attributes + "; known: " + ATTRIBUTES);
    }
    if (ageBandLowerBounds.isEmpty()) {
      throw new IllegalArgumentException("at least one age band bound is needed");
    }
    for (int i = 1; i < ageBandLowerBounds.size(); i++) {
      if (ageBandLowerBounds.get(i) <= ageBandLowerBounds.get(i - 1)) {
        throw new IllegalArgumentException("age band bounds must increase: " + ageBandLowerBounds);
      }
    }
  }

  /**
   * Payer names (as claims give them, compared without case or surrounding blanks) to payer types;
   * names not listed get {@code otherwise}.
   */
  public record PayerTypes(Map<String, String> byName, String otherwise) {
    public PayerTypes {
      Map<String, String> lower = new TreeMap<>();
      byName.forEach((name, type) -> lower.put(name.trim().toLowerCase(Locale.ROOT), type));
      byName = java.util.Collections.unmodifiableMap(lower);
    }

    /** The payer type of a payer name column; null stays null. */
    public Column of(Column payer) {
      Column name = org.apache.spark.sql.functions.lower(org.apache.spark.sql.functions.trim(payer));
      Column type = lit(otherwise);
      for (Map.Entry<String, String> e : byName.entrySet()) {
        type = when(name.equalTo(lit(e.getKey())), lit(e.getValue())).otherwise(type);
      }
      return when(payer.isNull(), lit((String) null)).otherwise(type);
    }
  }

  /** A bias configuration file read as YAML, and how to name it in messages. */
  public record ConfigFile(String source, JsonNode root) {
    /** The built-in configuration, next to this class. */
    public static final String BUILT_IN = "bias.yaml";

    /** Reads {@code file}, or the built-in configuration when null; a clear bad-input error if it is not YAML. */
    public static ConfigFile read(Path file) {
      String source = file == null ? BUILT_IN + " (built in)" : file.toString();
      try (InputStream in = file == null ? SensitiveGroups.class.getResourceAsStream(BUILT_IN) : Files.newInputStream(file)) {
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(in);
        return new ConfigFile(source, root == null ? JSON.createObjectNode() : root);
      } catch (IOException e) {
        throw CareLakeException.badInput("Cannot read the bias configuration " + source + ": " + CareLakeException.reason(e) + ".",
            "fix the YAML (see the built-in bias.yaml for the shape).");
      }
    }

    CareLakeException invalid(String problem, String fix) {
      return CareLakeException.badInput("The bias configuration " + source + ": " + problem, fix);
    }
  }

  /** The groups of a bias configuration file, or {@link #DEFAULT} when {@code file} is null. */
  public static SensitiveGroups load(Path file) {
    return file == null ? DEFAULT : of(ConfigFile.read(file));
  }

  /**
   * The groups a bias configuration defines: {@code age_bands} (increasing lower bounds in years;
   * default 18, 40, 65) and {@code payer_types} ({@code names: {NAME: TYPE}}, {@code otherwise:
   * TYPE}; an unlisted name without {@code otherwise} is "other").
   */
  public static SensitiveGroups of(ConfigFile file) {
    JsonNode root = file.root();
    List<Integer> bounds = AGE_BANDS;
    if (root.has("age_bands")) {
      JsonNode bands = root.get("age_bands");
      List<Integer> given = new ArrayList<>();
      bands.forEach(b -> given.add(b.isIntegralNumber() && b.canConvertToInt() ? b.asInt() : -1));
      boolean increasing = !given.isEmpty() && given.get(0) >= 0 && given.equals(given.stream().sorted().distinct().toList());
      if (!bands.isArray() || !increasing) {
        throw file.invalid("age_bands " + bands + " must be a list of whole years, increasing.", "e.g. age_bands: " + AGE_BANDS + ".");
      }
      bounds = given;
    }
    JsonNode payers = root.path("payer_types");
    Map<String, String> byName = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = payers.path("names").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual() || e.getValue().asText().isBlank()) {
        throw file.invalid("payer_types.names." + e.getKey() + " needs a payer type (text).", "e.g. " + e.getKey() + ": private.");
      }
      byName.put(e.getKey(), e.getValue().asText());
    }
    return new SensitiveGroups(ATTRIBUTES, bounds, new PayerTypes(byName, payers.path("otherwise").asText("other")));
  }

  /**
   * The definition as JSON (attributes, age bands, payer types), for records that must rebuild with
   * it. The text is canonical (fixed key order; {@link PayerTypes} keeps names sorted): a training
   * set's id hashes it, so the same groups must give the same text in every JVM.
   */
  public String toJson() {
    Map<String, Object> payers = new LinkedHashMap<>();
    payers.put("names", payerTypes.byName());
    payers.put("otherwise", payerTypes.otherwise());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("attributes", attributes);
    out.put("age_bands", ageBandLowerBounds);
    out.put("payer_types", payers);
    try {
      return JSON.writeValueAsString(out);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The inverse of {@link #toJson()}. */
  public static SensitiveGroups fromJson(String json) {
    try {
      JsonNode root = JSON.readTree(json);
      List<String> attributes = new ArrayList<>();
      root.path("attributes").forEach(a -> attributes.add(a.asText()));
      List<Integer> bounds = new ArrayList<>();
      root.path("age_bands").forEach(b -> bounds.add(b.asInt()));
      Map<String, String> names = new LinkedHashMap<>();
      root.path("payer_types").path("names").fields().forEachRemaining(e -> names.put(e.getKey(), e.getValue().asText()));
      return new SensitiveGroups(attributes, bounds, new PayerTypes(names, root.path("payer_types").path("otherwise").asText("other")));
    } catch (IOException e) {
      throw new IllegalArgumentException("not a sensitive groups definition: " + e.getMessage(), e);
    }
  }

  /** Whether payer type is one of the attributes, so {@code silver.claim} must be read. */
  public boolean usesClaims() {
    return attributes.contains(PAYER_TYPE);
  }

  /**
   * Each patient's groups at one date: {@code patient_key} and one column per attribute, missing
   * values as {@link #UNKNOWN}, age band and payer type at {@code asOf} (a date column or literal).
   *
   * @param patients rows of {@code silver.patient}
   * @param claims rows of {@code silver.claim}; may be null when {@link #usesClaims()} is false
   */
  public Dataset<Row> ofPatients(Dataset<Row> patients, Dataset<Row> claims, Column asOf) {
    Dataset<Row> groups = patients.select(col(PatientSchema.PATIENT_KEY), sex(), race(), ethnicity(),
        ageBand(floor(months_between(asOf, col(PatientSchema.BIRTH_DATE)).divide(12))).as(AGE_BAND));
    if (usesClaims()) {
      groups = withPayerType(groups, asOf, claims);
    }
    List<Column> columns = new ArrayList<>(List.of(col(PatientSchema.PATIENT_KEY)));
    attributes.forEach(a -> columns.add(col(a)));
    return groups.select(columns.toArray(new Column[0]));
  }

  /**
   * Adds {@link #PAYER_TYPE} to rows with one row per {@code patient_key}: the type of the payer of
   * the patient's latest claim naming a payer and created on or before {@code asOfDate} (a date
   * column of the rows, or a literal), ties broken by claim key; {@link #UNKNOWN} without one.
   *
   * @param claims rows of {@code silver.claim}; null when there is no such table (all unknown)
   */
  public Dataset<Row> withPayerType(Dataset<Row> rows, Column asOfDate, Dataset<Row> claims) {
    if (claims == null) {
      return rows.withColumn(PAYER_TYPE, lit(UNKNOWN));
    }
    Dataset<Row> asOf = rows.select(col(PatientSchema.PATIENT_KEY).as("_pk"), to_date(asOfDate).as("_as_of"));
    Dataset<Row> latest = claims.where(col(ClaimSchema.PAYER).isNotNull())
        .select(col(ClaimSchema.PATIENT_KEY).as("_pk"), col(ClaimSchema.CREATED_TIME).as("_created"), col(ClaimSchema.CLAIM_KEY).as("_claim"),
            col(ClaimSchema.PAYER).as("_payer"))
        .join(asOf, "_pk")
        .where(to_date(col("_created")).leq(col("_as_of")))
        .withColumn("_r", row_number().over(Window.partitionBy("_pk").orderBy(col("_created").desc(), col("_claim"))))
        .where(col("_r").equalTo(1))
        .select(col("_pk"), payerTypes.of(col("_payer")).as("_payer_type"));
    return rows.join(latest, col(PatientSchema.PATIENT_KEY).equalTo(col("_pk")), "left")
        .withColumn(PAYER_TYPE, coalesce(col("_payer_type"), lit(UNKNOWN)))
        .drop("_pk", "_payer_type");
  }

  /** {@link #SEX} of a {@code silver.patient} row: its administrative gender, {@link #UNKNOWN} if missing. */
  public static Column sex() {
    return coalesce(col(PatientSchema.GENDER), lit(UNKNOWN)).as(SEX);
  }

  /** {@link #RACE} of a {@code silver.patient} row (US Core race category), {@link #UNKNOWN} if missing. */
  public static Column race() {
    return coalesce(col(PatientSchema.RACE), lit(UNKNOWN)).as(RACE);
  }

  /** {@link #ETHNICITY} of a {@code silver.patient} row (US Core ethnicity category), {@link #UNKNOWN} if missing. */
  public static Column ethnicity() {
    return coalesce(col(PatientSchema.ETHNICITY), lit(UNKNOWN)).as(ETHNICITY);
  }

  /** Age band label for an age in whole years, e.g. {@code 40-64} or {@code 65+}. */
  public Column ageBand(Column ageYears) {
    Column band = lit("under " + ageBandLowerBounds.get(0));
    for (int i = 0; i < ageBandLowerBounds.size(); i++) {
      int lower = ageBandLowerBounds.get(i);
      String label = i + 1 < ageBandLowerBounds.size() ? lower + "-" + (ageBandLowerBounds.get(i + 1) - 1) : lower + "+";
      band = when(ageYears.geq(lower), lit(label)).otherwise(band);
    }
    return when(ageYears.isNull(), lit(UNKNOWN)).otherwise(band);
  }
}
