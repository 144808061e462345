package org.carelake.pipelines.fhir.internal;

import static org.carelake.pipelines.fhir.internal.Values.idPart;

import org.apache.spark.sql.types.StructType;
import org.carelake.core.Pseudonymizer;
import org.carelake.core.TableId;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/** What every silver mapping shares: its identity, and references turned into keyed pseudonyms. */
abstract class BaseMapper implements ResourceMapper {
  private static final long serialVersionUID = 1L;
  private final String type;
  private final TableId table;
  private final StructType schema;
  private final String key;

  BaseMapper(String type, TableId table, StructType schema, String key) {
    this.type = type;
    this.table = table;
    this.schema = schema;
    this.key = key;
  }

  @Override
  public String resourceType() {
    return type;
  }

  @Override
  public TableId table() {
    return table;
  }

  @Override
  public StructType schema() {
    return schema;
  }

  @Override
  public String keyColumn() {
    return key;
  }

  String ownKey(Resource r, Pseudonymizer keys) {
    return keys.resourceKey(type, r.getIdElement().getIdPart());
  }

  static String patient(Reference subject, Pseudonymizer keys) {
    String id = idPart(subject);
    return id == null ? null : keys.patientKey(id);
  }

  static String encounter(Reference encounter, Pseudonymizer keys) {
    String id = idPart(encounter);
    return id == null ? null : keys.resourceKey("Encounter", id);
  }
}
