package org.carelake.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SuppressionTest {

  @Test
  void smallCellsSmallDifferencesAndTheirComplementsAreWithheld() {
    long[][] counts = {
        {100, 50, 5},   // 5 is small; 50 is withheld as its complement (the row total would reveal the 5)
        {95, 45, 0},    // 95 and 45 each differ from their group's earlier count by 5 (a rule removed 5): withheld
        {80, 45, 0}};   // 45 still differs from the 50 known before by 5: withheld, and 80 then as its complement
    boolean[][] out = Suppression.withheld(counts);
    assertThat(out[0]).containsExactly(false, true, true);
    assertThat(out[1]).containsExactly(true, true, false);
    assertThat(out[2]).containsExactly(true, true, false);
  }

  @Test
  void noShownCellOrShownDifferenceIsBetweenOneAndTenAndNoRowHasALoneHiddenCell() {
    Random random = new Random(7);
    for (int round = 0; round < 500; round++) {
      int rows = 1 + random.nextInt(5);
      int cols = 2 + random.nextInt(4);
      long[][] counts = new long[rows][cols];
      for (int g = 0; g < cols; g++) {
        long c = random.nextInt(60);
        for (int s = 0; s < rows; s++) {
          counts[s][g] = c;
          c = Math.max(0, c - random.nextInt(15));
        }
      }
      boolean[][] out = Suppression.withheld(counts);
      for (int g = 0; g < cols; g++) {
        Long lastShown = null;
        for (int s = 0; s < rows; s++) {
          if (!out[s][g]) {
            assertThat(Suppression.suppressed(counts[s][g])).isFalse();
            if (lastShown != null) {
              long difference = lastShown - counts[s][g];
              assertThat(difference >= 1 && difference <= 10).as("difference %d between shown counts", difference).isFalse();
            }
            lastShown = counts[s][g];
          }
        }
      }
      for (int s = 0; s < rows; s++) {
        int hiddenNonZero = 0;
        int shownNonZero = 0;
        for (int g = 0; g < cols; g++) {
          hiddenNonZero += out[s][g] && counts[s][g] > 0 ? 1 : 0;
          shownNonZero += !out[s][g] && counts[s][g] > 0 ? 1 : 0;
        }
        assertThat(hiddenNonZero == 1 && shownNonZero > 0).as("a lone hidden cell next to shown ones").isFalse();
      }
    }
  }
}
