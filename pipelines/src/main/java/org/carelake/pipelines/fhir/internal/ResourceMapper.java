package org.carelake.pipelines.fhir.internal;

import java.io.Serializable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.Pseudonymizer;
import org.carelake.core.TableId;
import org.hl7.fhir.r4.model.Resource;

/** Maps one FHIR R4 resource type to its silver table row. */
public interface ResourceMapper extends Serializable {

  String resourceType();

  TableId table();

  /** The silver schema, lineage columns last. */
  StructType schema();

  /** The natural key column of the silver table. */
  String keyColumn();

  /** The silver row's own values (lineage is appended by the caller). */
  Object[] values(Resource resource, Pseudonymizer keys);
}
