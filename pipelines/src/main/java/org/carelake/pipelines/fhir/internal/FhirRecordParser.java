package org.carelake.pipelines.fhir.internal;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.IParserErrorHandler;
import ca.uhn.fhir.parser.json.JsonLikeValue.ScalarType;
import ca.uhn.fhir.parser.json.JsonLikeValue.ValueType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.apache.spark.unsafe.types.UTF8String;
import org.carelake.core.Pseudonymizer;
import org.carelake.core.schema.QuarantineSchema.Reason;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;

/**
 * Parses FHIR R4 JSON records with HAPI into {@link ParsedSchema} rows: accepted resources (with
 * their silver row when the type has a silver table) or quarantined records with a reason. The rows
 * are Spark's internal rows, built here: no encoder runs over them.
 *
 * <p>R4 conformance: HAPI's R4 parser tolerates elements it does not know, which is how an STU3 or
 * DSTU2 resource would be half-parsed as R4. This parser collects every structural complaint HAPI
 * makes (unknown element, wrong JSON type, unexpected repetition) and quarantines such a record as
 * {@link Reason#NOT_R4} instead. One instance per partition: HAPI parsers are not thread-safe.
 */
public final class FhirRecordParser {

  private static final Pattern LOCATION = Pattern.compile("line: (\\d+), column: (\\d+)");

  private final IParser parser;
  private final StructuralErrors errors = new StructuralErrors();
  private final Pseudonymizer keys;
  private final MessageDigest sha256;
  private final UTF8String run;
  /** The source file of the rows before, as a Java and as a Spark string: a task reads one file after another. */
  private String lastFile;
  private UTF8String lastFileUtf8;

  public FhirRecordParser(Pseudonymizer keys, String runId) {
    this.keys = keys;
    this.run = UTF8String.fromString(runId);
    this.parser = FhirContexts.r4().newJsonParser();
    this.parser.setParserErrorHandler(errors);
    this.parser.setOverrideResourceIdWithBundleEntryFullUrl(false);
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses one JSON text (an NDJSON line or a whole file) into one or more rows. */
  public List<InternalRow> parse(String json, String sourceFile, long position, String positionKind) {
    List<InternalRow> out = new ArrayList<>(1);
    errors.clear();
    IBaseResource parsed;
    try {
      parsed = parser.parseResource(json);
    } catch (DataFormatException | IllegalArgumentException | ClassCastException e) {
      out.add(quarantine(classify(e), describe(e), null, null, json, sourceFile, position, positionKind));
      return out;
    }
    if (!errors.isEmpty()) {
      out.add(notR4(parsed, json, sourceFile, position, positionKind));
      return out;
    }
    if (parsed instanceof Bundle bundle && bundle.getType() != Bundle.BundleType.SEARCHSET) {
      // Bundles are containers: their entries are the records. The Bundle itself is not stored.
      int index = 0;
      for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
        if (entry.hasRequest() && entry.getRequest().getMethod() == Bundle.HTTPVerb.DELETE) {
          out.add(delete(bundle, entry, sourceFile, index));
        } else if (entry.hasResource()) {
          Resource r = entry.getResource();
          String entryJson = parser.encodeResourceToString(r);
          out.add(accept(r, entryJson, sourceFile, index, ParsedSchema.POSITION_BUNDLE_ENTRY));
        }
        index++;
      }
      return out;
    }
    out.add(accept((Resource) parsed, json, sourceFile, position, positionKind));
    return out;
  }

  private InternalRow accept(Resource r, String json, String sourceFile, long position, String positionKind) {
    String id = r.getIdElement().getIdPart();
    String type = r.fhirType();
    String hash = hash(json);
    if (id == null || id.isBlank()) {
      return quarantine(Reason.MISSING_ID, type + " has no id; every resource needs one to be merged and referenced. "
          + "Fix: give the resource an id in the export.", type, null, json, sourceFile, position, positionKind, hash);
    }
    String versionId = r.getMeta().hasVersionId() ? r.getMeta().getVersionId() : null;
    java.sql.Timestamp lastUpdated = r.getMeta().hasLastUpdated() ? new java.sql.Timestamp(r.getMeta().getLastUpdated().getTime()) : null;
    Object[] values = row(ParsedSchema.KIND_RESOURCE_UTF8, type, id, hash, json, sourceFile, position, positionKind);
    UTF8String version = utf8(versionId);
    Long updated = lastUpdated == null ? null : DateTimeUtils.fromJavaTimestamp(lastUpdated);
    UTF8String contentHash = (UTF8String) values[5];
    values[3] = version;
    values[4] = updated;
    int table = ParsedSchema.silverIndex(type);
    if (table >= 0) {
      ResourceMapper mapper = Mappers.ALL.get(table);
      Object[] own = mapper.values(r, keys);
      Object[] row = new Object[own.length + 4];
      System.arraycopy(own, 0, row, 0, own.length);
      ParsedSchema.toInternal(table, row, own.length);
      row[own.length] = version;
      row[own.length + 1] = updated;
      row[own.length + 2] = contentHash;
      row[own.length + 3] = run;
      values[ParsedSchema.FIXED + table] = new GenericInternalRow(row);
    }
    return new GenericInternalRow(values);
  }

  /** A parse row's fixed columns shared by every kind (as Spark's values); the others null. */
  private Object[] row(UTF8String kind, String type, String id, String hash, String json, String file, long position,
      String positionKind) {
    if (!file.equals(lastFile)) {
      lastFile = file;
      lastFileUtf8 = UTF8String.fromString(file);
    }
    Object[] values = new Object[ParsedSchema.SCHEMA.size()];
    values[0] = kind;
    values[1] = utf8(type);
    values[2] = utf8(id);
    values[5] = utf8(hash);
    values[6] = utf8(json);
    values[7] = lastFileUtf8;
    values[8] = position;
    values[9] = utf8(positionKind);
    return values;
  }

  private static UTF8String utf8(String s) {
    return s == null ? null : UTF8String.fromString(s);
  }

  /** Resource references a DELETE may name: {@code Type/id}, optionally after a base URL. */
  private static final Pattern DELETE_TARGET = Pattern.compile("(?:.*/)?([A-Z][A-Za-z]{1,63})/([A-Za-z0-9\\-.]{1,64})(?:/_history/[^/]+)?");

  /**
   * A tombstone for a Bundle DELETE entry (transaction Bundles, and the Bundles of a Bulk Data
   * export's deleted files). Its time is the entry's response time, else the Bundle's lastUpdated.
   */
  private InternalRow delete(Bundle bundle, Bundle.BundleEntryComponent entry, String sourceFile, long index) {
    String url = entry.getRequest().getUrl();
    String canonical = "{\"request\":{\"method\":\"DELETE\",\"url\":" + jsonString(url) + "}}";
    Matcher m = url == null ? null : DELETE_TARGET.matcher(url);
    if (m == null || !m.matches()) {
      return quarantine(Reason.UNSUPPORTED_DELETE, "Bundle entry " + index + " is a DELETE whose request.url is not Type/id "
          + "(conditional deletes by search cannot be applied to an export). Fix: delete by id, e.g. Observation/123.",
          null, null, canonical, sourceFile, index, ParsedSchema.POSITION_BUNDLE_ENTRY);
    }
    String type = m.group(1);
    String id = m.group(2);
    java.util.Date when = entry.hasResponse() && entry.getResponse().hasLastModified() ? entry.getResponse().getLastModified()
        : bundle.getMeta().hasLastUpdated() ? bundle.getMeta().getLastUpdated() : null;
    Object[] values = row(ParsedSchema.KIND_DELETE_UTF8, type, id, hash(canonical), canonical, sourceFile, index,
        ParsedSchema.POSITION_BUNDLE_ENTRY);
    values[4] = when == null ? null : DateTimeUtils.fromJavaTimestamp(new java.sql.Timestamp(when.getTime()));
    values[12] = utf8("Patient".equals(type) ? keys.patientKey(id) : keys.resourceKey(type, id));
    return new GenericInternalRow(values);
  }

  private static String jsonString(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  private InternalRow notR4(IBaseResource parsed, String json, String sourceFile, long position, String positionKind) {
    String type = parsed == null ? null : parsed.fhirType();
    return quarantine(Reason.NOT_R4,
        (type == null ? "Record" : type) + " does not match the FHIR R4 structure (" + errors.summary()
            + "); it looks like another FHIR version (e.g. STU3 or DSTU2) and is not half-parsed as R4. "
            + "Fix: convert it to R4 before ingesting, or export it as R4.",
        type, null, json, sourceFile, position, positionKind);
  }

  private InternalRow quarantine(Reason reason, String why, String type, String id, String json, String file, long position,
      String positionKind) {
    return quarantine(reason, why, type, id, json, file, position, positionKind, hash(json));
  }

  private InternalRow quarantine(Reason reason, String why, String type, String id, String json, String file, long position,
      String positionKind, String hash) {
    Object[] values = row(ParsedSchema.KIND_QUARANTINE_UTF8, type, id, hash, json, file, position, positionKind);
    values[10] = utf8(reason.name());
    values[11] = utf8(why);
    return new GenericInternalRow(values);
  }

  private static Reason classify(Exception e) {
    String m = String.valueOf(e.getMessage());
    if (m.contains("Unknown resource name") || m.contains("Unknown resource type")
        || m.contains("missing required element: 'resourceType'") || m.contains("does not appear to be a FHIR resource")) {
      return Reason.UNKNOWN_RESOURCE_TYPE;
    }
    return Reason.MALFORMED_JSON;
  }

  /**
   * A reason that never quotes the record: parser messages can echo field values (PHI), so only
   * the kind of problem, the resource type name HAPI rejected, and the location are kept.
   */
  private static String describe(Exception e) {
    String m = String.valueOf(e.getMessage());
    if (classify(e) == Reason.UNKNOWN_RESOURCE_TYPE) {
      Matcher name = Pattern.compile("Unknown resource (?:name|type) \"([A-Za-z0-9]{1,64})\"").matcher(m);
      String which = name.find() ? " \"" + name.group(1) + "\"" : "";
      return "Unknown or missing resourceType" + which + ": not a FHIR R4 resource. "
          + "Fix: check the export wrote FHIR R4 resources with a valid resourceType.";
    }
    Matcher at = LOCATION.matcher(m);
    String where = at.find() ? " at line " + at.group(1) + ", column " + at.group(2) : "";
    return "Malformed JSON" + where + ": the record is not one complete JSON object. "
        + "Fix: repair or re-export the file; NDJSON needs exactly one resource per line.";
  }

  private String hash(String json) {
    return HexFormat.of().formatHex(sha256.digest(json.getBytes(StandardCharsets.UTF_8)));
  }

  /** Collects HAPI's structural complaints for one record. */
  private static final class StructuralErrors implements IParserErrorHandler {
    private final Set<String> problems = new LinkedHashSet<>();

    void clear() {
      problems.clear();
    }

    boolean isEmpty() {
      return problems.isEmpty();
    }

    String summary() {
      List<String> list = new ArrayList<>(problems);
      String shown = String.join("; ", list.subList(0, Math.min(3, list.size())));
      return list.size() > 3 ? shown + "; and " + (list.size() - 3) + " more" : shown;
    }

    private static String where(IParseLocation location) {
      return location == null || location.getParentElementName() == null ? "" : " in " + location.getParentElementName();
    }

    @Override
    public void unknownElement(IParseLocation location, String elementName) {
      problems.add("unknown element '" + elementName + "'" + where(location));
    }

    @Override
    public void unknownAttribute(IParseLocation location, String attributeName) {
      problems.add("unknown attribute '" + attributeName + "'" + where(location));
    }

    @Override
    public void unexpectedRepeatingElement(IParseLocation location, String elementName) {
      problems.add("element '" + elementName + "' repeats but may occur once" + where(location));
    }

    @Override
    public void incorrectJsonType(IParseLocation location, String elementName, ValueType expected, ScalarType expectedScalar,
        ValueType found, ScalarType foundScalar) {
      problems.add("element '" + elementName + "' should be " + expected + " but is " + found + where(location));
    }

    @Override
    public void unknownReference(IParseLocation location, String reference) {
      // Unresolvable references are checked by referential-integrity rules, not at parse time.
    }

    @Override
    public void containedResourceWithNoId(IParseLocation location) {}

    @Override
    public void missingRequiredElement(IParseLocation location, String elementName) {}

    @Override
    public void invalidValue(IParseLocation location, String value, String error) {}

    @Override
    public void extensionContainsValueAndNestedExtensions(IParseLocation location) {}
  }
}
