package org.carelake.core.testing;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.carelake.core.Pseudonymizer;

/** A fixed, obviously fake pseudonymization key for tests. */
public final class TestKeys {

  private TestKeys() {}

  public static byte[] key() {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) 7);
    return key;
  }

  public static String hexKey() {
    return java.util.HexFormat.of().formatHex(key());
  }

  public static Pseudonymizer pseudonymizer() {
    return new Pseudonymizer(key());
  }

  public static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
