package org.carelake.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the pseudonymization key, which is kept outside the lakehouse. Precedence: the environment
 * variable {@value #ENV_KEY} (hex), then the key file named by {@value #ENV_KEY_FILE}, then the
 * default key file {@code ~/.carelake/hmac.key}. A missing key fails closed: nothing is ingested.
 */
public final class KeyProvider {

  public static final String ENV_KEY = "CARELAKE_HMAC_KEY";
  public static final String ENV_KEY_FILE = "CARELAKE_HMAC_KEY_FILE";

  private final Map<String, String> env;
  private final Path defaultKeyFile;

  public KeyProvider(Map<String, String> env, Path defaultKeyFile) {
    this.env = env;
    this.defaultKeyFile = defaultKeyFile;
  }

  /** System property naming the default key file (tests point it into their build folder). */
  public static final String DEFAULT_KEY_FILE_PROPERTY = "carelake.hmac.keyFile";

  public static KeyProvider fromEnvironment() {
    String override = System.getProperty(DEFAULT_KEY_FILE_PROPERTY);
    Path defaultFile = override != null ? Path.of(override) : Path.of(System.getProperty("user.home"), ".carelake", "hmac.key");
    return new KeyProvider(System.getenv(), defaultFile);
  }

  /** The key file this provider reads when no key is given in the environment. */
  public Path keyFile() {
    String file = env.get(ENV_KEY_FILE);
    return file == null || file.isBlank() ? defaultKeyFile : Path.of(file);
  }

  public Pseudonymizer pseudonymizer() {
    return new Pseudonymizer(key().orElseThrow(() -> CareLakeException.badInput(
        "No pseudonymization key: " + ENV_KEY + " is not set and " + keyFile() + " does not exist.",
        "set " + ENV_KEY + " to 64 hex characters, or point " + ENV_KEY_FILE + " at a key file "
            + "(`./carelake demo` creates a local one and says so).")));
  }

  public Optional<byte[]> key() {
    String hex = env.get(ENV_KEY);
    if (hex != null && !hex.isBlank()) {
      return Optional.of(parseHex(hex.trim(), ENV_KEY));
    }
    Path file = keyFile();
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(parseHex(Files.readString(file).trim(), file.toString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Creates a random key file with owner-only permissions (0600) when no key exists. Returns the
   * file it created, or empty when a key was already there.
   */
  public Optional<Path> createLocalKeyIfMissing() {
    if (key().isPresent()) {
      return Optional.empty();
    }
    Path file = keyFile();
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
      Files.createFile(file, PosixFilePermissions.asFileAttribute(ownerOnly));
      Files.writeString(file, HexFormat.of().formatHex(key) + "\n");
      Files.setPosixFilePermissions(file, ownerOnly);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Optional.of(file);
  }

  private static byte[] parseHex(String hex, String where) {
    try {
      return HexFormat.of().parseHex(hex);
    } catch (IllegalArgumentException e) {
      throw CareLakeException.badInput(
          "The pseudonymization key in " + where + " is not hexadecimal.",
          "store the key as hex, e.g. `head -c 32 /dev/urandom | xxd -p -c 64`.");
    }
  }
}
