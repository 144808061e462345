package org.carelake.core;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keyed pseudonyms: HMAC-SHA256 of a source identifier, hex encoded. Without the key the pseudonym
 * cannot be recomputed from a known source id, unlike a plain hash. The key lives outside the data
 * (see {@link KeyProvider}); this object is serializable so partition functions can carry it, and
 * it never prints the key.
 */
public final class Pseudonymizer implements Serializable {

  private static final long serialVersionUID = 1L;
  private static final String ALGORITHM = "HmacSHA256";

  private final byte[] key;
  private transient Mac mac;

  public Pseudonymizer(byte[] key) {
    if (key == null || key.length < 32) {
      throw CareLakeException.badInput(
          "The pseudonymization key is shorter than 32 bytes.",
          "use a key of at least 32 random bytes (e.g. `head -c 32 /dev/urandom | xxd -p -c 64`).");
    }
    this.key = key.clone();
  }

  /** The patient pseudonym: HMAC of the patient's source id. */
  public String patientKey(String patientSourceId) {
    return hmac(patientSourceId);
  }

  /** The pseudonym of another resource, domain-separated by resource type. */
  public String resourceKey(String resourceType, String sourceId) {
    return hmac(resourceType + "/" + sourceId);
  }

  private String hmac(String value) {
    if (value == null) {
      return null;
    }
    if (mac == null) {
      try {
        mac = Mac.getInstance(ALGORITHM);
        mac.init(new SecretKeySpec(key, ALGORITHM));
      } catch (NoSuchAlgorithmException | InvalidKeyException e) {
        throw new IllegalStateException("HmacSHA256 unavailable in this JVM", e);
      }
    }
    return HexFormat.of().formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)));
  }

  @Override
  public String toString() {
    return "Pseudonymizer[HmacSHA256, key hidden]";
  }
}
