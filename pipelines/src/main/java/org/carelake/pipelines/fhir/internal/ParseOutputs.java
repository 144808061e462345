package org.carelake.pipelines.fhir.internal;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.SQLExecution;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.unsafe.types.UTF8String;
import org.carelake.core.TableFiles;
import org.carelake.core.schema.PatientSchema;

/**
 * One pass over a FHIR parse that writes every table's rows at once: each parse task writes its
 * bronze, quarantine and silver rows straight to those tables' files ({@link TableFiles}) and
 * returns what the driver needs to finish the ingest: the files, the counts for the reconciliation,
 * the keys (which tables receive one twice), the patients the input holds and refers to, and its
 * tombstones. Nothing is cached and no table is scanned again; the parse is read once.
 */
public final class ParseOutputs {

  /** Where each output's rows go: bronze, quarantine, then one per mapper of {@link Mappers#ALL}. */
  public record Targets(TableFiles bronze, TableFiles quarantine, List<TableFiles> silver) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** A deletion: the silver key it removes from its type's table, and when the source deleted it (null: unknown). */
  public record Tombstone(String resourceType, String deletedKey, Long lastUpdatedMicros) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** What one task wrote and saw. */
  record TaskOutput(TableFiles.File bronze, TableFiles.File quarantine, TableFiles.File[] silver, Map<List<String>, Long> counts,
      ParseKeys.Report keys, Set<String> patients, Set<String> referenced, List<Tombstone> tombstones) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** The whole pass, merged on the driver. */
  public static final class Summary {
    private final List<TaskOutput> tasks;

    Summary(List<TaskOutput> tasks) {
      this.tasks = tasks;
    }

    public List<TableFiles.File> bronzeFiles() {
      return tasks.stream().map(TaskOutput::bronze).filter(java.util.Objects::nonNull).toList();
    }

    public List<TableFiles.File> quarantineFiles() {
      return tasks.stream().map(TaskOutput::quarantine).filter(java.util.Objects::nonNull).toList();
    }

    /** The files of the table of {@code Mappers.ALL.get(index)}. */
    public List<TableFiles.File> silverFiles(int index) {
      return tasks.stream().map(t -> t.silver()[index]).filter(java.util.Objects::nonNull).toList();
    }

    /** Rows read per (kind, resource type, reason code); type and reason may be null. */
    public Map<List<String>, Long> counts() {
      Map<List<String>, Long> out = new HashMap<>();
      tasks.forEach(t -> t.counts().forEach((k, n) -> out.merge(k, n, Long::sum)));
      return out;
    }

    /** The tables ({@link ParseKeys#BRONZE} for bronze) that receive a key more than once. */
    public Set<String> duplicated() {
      return ParseKeys.duplicated(tasks.stream().map(TaskOutput::keys).toList());
    }

    /** The patient keys of this input's Patient resources. */
    public Set<String> patients() {
      Set<String> out = new HashSet<>();
      tasks.forEach(t -> out.addAll(t.patients()));
      return out;
    }

    /** The patient keys this input's other resources refer to. */
    public Set<String> referenced() {
      Set<String> out = new HashSet<>();
      tasks.forEach(t -> out.addAll(t.referenced()));
      return out;
    }

    public List<Tombstone> tombstones() {
      List<Tombstone> out = new ArrayList<>();
      tasks.forEach(t -> out.addAll(t.tombstones()));
      return out;
    }
  }

  private ParseOutputs() {}

  /** Runs the pass: one Spark job, its tasks writing the files. */
  public static Summary write(JavaRDD<InternalRow> parse, Targets targets, String runId) {
    // Broadcast, not captured: every task would otherwise deserialize the 16 writers' Hadoop
    // configurations again (hundreds of gzip-compressed entries each).
    Broadcast<Targets> shared = JavaSparkContext.fromSparkContext(parse.context()).broadcast(targets);
    try {
      // As a Dataset's action would: the session's SQL settings reach the tasks (Spark's generated
      // code in them, Delta's statistics, the size of the cache of generated classes), not defaults.
      SparkSession spark = SparkSession.active();
      scala.Function0<List<TaskOutput>> job = () -> parse.mapPartitionsWithIndex(new Task(shared, runId), false).collect();
      return new Summary(SQLExecution.withSQLConfPropagated(spark, job));
    } finally {
      shared.destroy();
    }
  }

  /** A silver table's column holding the patient key, by mapper index; -1 when it has none (or is Patient's). */
  private static int[] patientKeyOrdinals() {
    int[] out = new int[Mappers.ALL.size()];
    for (int i = 0; i < out.length; i++) {
      ResourceMapper mapper = Mappers.ALL.get(i);
      List<String> names = List.of(mapper.schema().fieldNames());
      out[i] = names.indexOf(PatientSchema.PATIENT_KEY);
    }
    return out;
  }

  private static UTF8String copy(UTF8String s) {
    return s == null ? null : s.clone();
  }

  private static final class Task implements Function2<Integer, Iterator<InternalRow>, Iterator<TaskOutput>> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<Targets> shared;
    private final String runId;

    Task(Broadcast<Targets> shared, String runId) {
      this.shared = shared;
      this.runId = runId;
    }

    @Override
    public Iterator<TaskOutput> call(Integer partition, Iterator<InternalRow> rows) {
      Targets targets = shared.value();
      long attempt = TaskContext.get() == null ? 0 : TaskContext.get().attemptNumber();
      int n = Mappers.ALL.size();
      TableFiles.Writer bronze = targets.bronze().open(partition, attempt);
      TableFiles.Writer quarantine = targets.quarantine().open(partition, attempt);
      TableFiles.Writer[] silver = new TableFiles.Writer[n];
      for (int i = 0; i < n; i++) {
        silver[i] = targets.silver().get(i).open(partition, attempt);
      }
      int patientTable = Mappers.ALL.indexOf(Mappers.BY_TYPE.get("Patient"));
      int[] patientKey = patientKeyOrdinals();
      int[] width = new int[n];
      for (int i = 0; i < n; i++) {
        width[i] = Mappers.ALL.get(i).schema().size();
      }
      UTF8String run = UTF8String.fromString(runId);
      GenericInternalRow b = new GenericInternalRow(11);
      GenericInternalRow q = new GenericInternalRow(10);
      // Keyed by copies: a row's strings may point into a buffer the next row overwrites (Spark's own rows do).
      Map<List<UTF8String>, long[]> counts = new HashMap<>();
      ParseKeys.Collector keys = new ParseKeys.Collector();
      Set<String> patients = new HashSet<>();
      Set<UTF8String> referenced = new HashSet<>();
      UTF8String lastReferenced = null;
      List<Tombstone> tombstones = new ArrayList<>();
      boolean done = false;
      try {
        while (rows.hasNext()) {
          InternalRow r = rows.next();
          keys.see(r);
          UTF8String kind = r.getUTF8String(0);
          UTF8String type = r.isNullAt(1) ? null : r.getUTF8String(1);
          UTF8String reason = r.isNullAt(10) ? null : r.getUTF8String(10);
          long[] count = counts.get(java.util.Arrays.asList(kind, type, reason));
          if (count == null) {
            count = new long[1];
            counts.put(java.util.Arrays.asList(copy(kind), copy(type), copy(reason)), count);
          }
          count[0]++;
          if (ParsedSchema.KIND_QUARANTINE_UTF8.equals(kind)) {
            q.update(0, r.getUTF8String(7));
            q.update(1, r.getLong(8));
            q.update(2, r.getUTF8String(9));
            q.update(3, reason);
            q.update(4, r.isNullAt(11) ? null : r.getUTF8String(11));
            q.update(5, type);
            q.update(6, r.isNullAt(2) ? null : r.getUTF8String(2));
            q.update(7, r.getUTF8String(5));
            q.update(8, r.isNullAt(6) ? null : r.getUTF8String(6));
            q.update(9, run);
            quarantine.write(q);
            continue;
          }
          boolean deletion = ParsedSchema.KIND_DELETE_UTF8.equals(kind);
          b.update(0, type);
          b.update(1, r.isNullAt(2) ? null : r.getUTF8String(2));
          b.update(2, r.isNullAt(3) ? null : r.getUTF8String(3));
          b.update(3, r.isNullAt(4) ? null : r.getLong(4));
          b.update(4, r.getUTF8String(5));
          b.update(5, r.isNullAt(6) ? null : r.getUTF8String(6));
          b.update(6, r.getUTF8String(7));
          b.update(7, r.getLong(8));
          b.update(8, r.getUTF8String(9));
          b.update(9, run);
          b.update(10, deletion);
          bronze.write(b);
          if (deletion) {
            tombstones.add(new Tombstone(type.toString(), r.isNullAt(12) ? null : r.getUTF8String(12).toString(),
                r.isNullAt(4) ? null : r.getLong(4)));
            continue;
          }
          for (int i = 0; i < n; i++) {
            if (!r.isNullAt(ParsedSchema.FIXED + i)) {
              InternalRow s = r.getStruct(ParsedSchema.FIXED + i, width[i]);
              silver[i].write(s);
              if (patientKey[i] >= 0 && !s.isNullAt(patientKey[i])) {
                UTF8String key = s.getUTF8String(patientKey[i]);
                if (i == patientTable) {
                  patients.add(key.toString());
                } else if (!key.equals(lastReferenced)) {
                  // Bulk exports list a patient's resources together: most rows repeat the last key.
                  lastReferenced = key.clone();
                  referenced.add(lastReferenced);
                }
              }
            }
          }
        }
        TableFiles.File[] silverFiles = new TableFiles.File[n];
        for (int i = 0; i < n; i++) {
          silverFiles[i] = silver[i].close();
        }
        Map<List<String>, Long> countsOut = new HashMap<>();
        counts.forEach((k, c) -> countsOut.put(k.stream().map(v -> v == null ? null : v.toString()).toList(), c[0]));
        TaskOutput out = new TaskOutput(bronze.close(), quarantine.close(), silverFiles, countsOut, keys.report(partition), patients,
            referenced.stream().map(UTF8String::toString).collect(java.util.stream.Collectors.toSet()), tombstones);
        done = true;
        return List.of(out).iterator();
      } finally {
        if (!done) {
          bronze.abort();
          quarantine.abort();
          for (TableFiles.Writer w : silver) {
            w.abort();
          }
        }
      }
    }
  }

}
