package org.carelake.core;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** SHA-256 content hashes for definitions and datasets. */
public final class Hashes {

  private Hashes() {}

  public static String sha256(String text) {
    return HexFormat.of().formatHex(digest().digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  /** Hash of several fields, unambiguous (fields are separated by NUL). */
  public static String sha256(List<String> fields) {
    return sha256(String.join("\u0000", fields.stream().map(String::valueOf).toList()));
  }

  /**
   * A hash of a dataset's content (column names, types and every row), independent of row order:
   * rows are hashed in Spark, the row hashes sorted and hashed again.
   */
  public static String contentHash(Dataset<Row> rows) {
    MessageDigest digest = digest();
    digest.update(rows.schema().json().getBytes(StandardCharsets.UTF_8));
    List<Row> hashes = rows.select(sha2(to_json(struct(col("*"))), 256).as("h")).orderBy("h").collectAsList();
    for (Row h : hashes) {
      digest.update(h.getString(0).getBytes(StandardCharsets.UTF_8));
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
