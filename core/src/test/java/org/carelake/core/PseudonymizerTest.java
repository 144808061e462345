package org.carelake.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.carelake.core.testing.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PseudonymizerTest {

  @Test
  void patientKeyIsAStableKeyedHashThatDependsOnTheKey() {
    Pseudonymizer a = TestKeys.pseudonymizer();
    byte[] otherKey = TestKeys.key();
    otherKey[0] = 1;
    Pseudonymizer b = new Pseudonymizer(otherKey);

    assertThat(a.patientKey("patient-1")).as("same key, same id").isEqualTo(TestKeys.pseudonymizer().patientKey("patient-1"));
    assertThat(a.patientKey("patient-1")).as("different key").isNotEqualTo(b.patientKey("patient-1"));
    assertThat(a.patientKey("patient-1")).hasSize(64).doesNotContain("patient");
    assertThat(a.resourceKey("Encounter", "patient-1")).as("domain separated").isNotEqualTo(a.patientKey("patient-1"));
    assertThat(a.toString()).doesNotContain(TestKeys.hexKey());
  }

  @Test
  void shortKeysAreRejected() {
    assertThatThrownBy(() -> new Pseudonymizer(new byte[16])).isInstanceOf(CareLakeException.class)
        .hasMessageContaining("shorter than 32 bytes").hasMessageContaining("Fix:");
  }

  @Test
  void missingKeyFailsClosedAndNamesBothWaysToProvideOne(@TempDir Path dir) {
    KeyProvider provider = new KeyProvider(Map.of(), dir.resolve("absent.key"));
    assertThatThrownBy(provider::pseudonymizer).isInstanceOf(CareLakeException.class)
        .hasMessageContaining(KeyProvider.ENV_KEY).hasMessageContaining("absent.key");
  }

  @Test
  void keyComesFromEnvironmentBeforeFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("k");
    Files.writeString(file, "00".repeat(32));
    KeyProvider provider = new KeyProvider(Map.of(KeyProvider.ENV_KEY, TestKeys.hexKey()), file);
    assertThat(provider.key()).hasValueSatisfying(k -> assertThat(k).isEqualTo(TestKeys.key()));
    assertThat(new KeyProvider(Map.of(KeyProvider.ENV_KEY_FILE, file.toString()), dir.resolve("x")).key())
        .hasValueSatisfying(k -> assertThat(k).isEqualTo(new byte[32]));
  }

  @Test
  void localKeyIsCreatedOnceWithOwnerOnlyPermissions(@TempDir Path dir) throws Exception {
    KeyProvider provider = new KeyProvider(Map.of(), dir.resolve("keys/hmac.key"));
    Path created = provider.createLocalKeyIfMissing().orElseThrow();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created))).isEqualTo("rw-------");
    assertThat(provider.key()).hasValueSatisfying(k -> assertThat(k).hasSize(32));
    assertThat(provider.createLocalKeyIfMissing()).as("second call keeps the key").isEmpty();
  }

  @Test
  void nonHexKeyIsABadInputNamingTheSource(@TempDir Path dir) {
    KeyProvider provider = new KeyProvider(Map.of(KeyProvider.ENV_KEY, "not-hex!"), dir.resolve("k"));
    assertThatThrownBy(provider::key).isInstanceOf(CareLakeException.class).hasMessageContaining(KeyProvider.ENV_KEY)
        .hasMessageContaining("not hexadecimal");
  }
}
