package org.carelake.core;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.carelake.core.report.Reports;

/**
 * The on-disk record of an open {@link LakehouseTransaction}: which process opened it, and each table
 * it has touched with the version before. It is written before the transaction's first commit to a
 * table and removed once the transaction has committed or rolled back, so a journal left behind means
 * its process stopped in between (killed, out of memory, a lost machine). The next CareLake process
 * finds it and finishes the rollback ({@link LakehouseTransaction#recoverAbandoned}).
 *
 * <p>One JSON file per transaction under {@code <lakehouse>/_transactions/}, replaced atomically.
 */
final class TransactionJournal {

  static final String DIR = "_transactions";

  /** A journal as read back: its file, owner, writer tag and the tables with their versions before. */
  record Entry(Path file, ProcessOwner owner, String writer, String openedAt, Map<TableId, Optional<Long>> versionsBefore) {}

  private final Path file;
  private final ProcessOwner owner;
  private final String openedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();

  TransactionJournal(Lakehouse lakehouse, ProcessOwner owner) {
    this.file = directory(lakehouse).resolve("tx-" + UUID.randomUUID() + ".json");
    this.owner = owner;
  }

  static Path directory(Lakehouse lakehouse) {
    return lakehouse.root().resolve(DIR);
  }

  /** Writes the journal (replacing the last one) before the transaction's next commit. */
  void write(String writer, Map<TableId, Optional<Long>> versionsBefore) {
    Map<String, Object> tables = new LinkedHashMap<>();
    versionsBefore.forEach((table, version) -> tables.put(table.qualifiedName(), version.orElse(null)));
    Map<String, Object> json = new LinkedHashMap<>();
    json.putAll(owner.toJson());
    json.put("writer", writer);
    json.put("opened_at", openedAt);
    json.put("tables", tables);
    try {
      Files.createDirectories(file.getParent());
      Path staging = file.resolveSibling("." + file.getFileName() + ".tmp");
      Files.writeString(staging, Reports.JSON.writeValueAsString(json));
      Files.move(staging, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the transaction journal " + file, e);
    }
  }

  Path file() {
    return file;
  }

  /** Removes the journal: the transaction committed or finished its rollback. */
  void remove() {
    remove(file);
  }

  static void remove(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException("could not remove the transaction journal " + file, e);
    }
  }

  /** Every journal in the lakehouse, oldest first; one that cannot be read (edited by hand, say) goes to {@code unreadable}. */
  static List<Entry> all(Lakehouse lakehouse, java.util.function.Consumer<String> unreadable) {
    Path dir = directory(lakehouse);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Entry> entries = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().matches("tx-[0-9a-f-]+\\.json")).toList()) {
        try {
          read(f).ifPresent(entries::add);
        } catch (IOException | RuntimeException e) {
          unreadable.accept("The transaction journal " + f + " cannot be read (" + (e instanceof IOException io
              ? CareLakeException.reason(io) : e.toString()) + "), so the run it records cannot be rolled back.");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not list the transaction journals in " + dir, e);
    }
    entries.sort(java.util.Comparator.comparing(Entry::openedAt));
    return entries;
  }

  private static Optional<Entry> read(Path file) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException gone) {
      return Optional.empty(); // its transaction finished since the folder was listed
    }
    Map<String, Object> json = Reports.JSON.readValue(bytes, new TypeReference<Map<String, Object>>() {});
    Map<TableId, Optional<Long>> tables = new LinkedHashMap<>();
    ((Map<?, ?>) json.get("tables")).forEach((name, version) ->
        tables.put(TableId.parse(name.toString()), Optional.ofNullable((Number) version).map(Number::longValue)));
    ProcessOwner owner = ProcessOwner.fromJson(json);
    return Optional.of(new Entry(file, owner, (String) json.get("writer"), (String) json.get("opened_at"), tables));
  }
}
