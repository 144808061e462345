package org.carelake.core;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;

/**
 * Progress lines for long work, on stderr so stdout stays machine-readable. Never pass record
 * contents: progress is about counts and steps only.
 */
public final class Progress {

  private final PrintStream out;
  private final Instant start = Instant.now();
  private final int totalSteps;
  private int step;

  public Progress(PrintStream out, int totalSteps) {
    this.out = out;
    this.totalSteps = totalSteps;
  }

  public static Progress silent() {
    return new Progress(new PrintStream(java.io.OutputStream.nullOutputStream()), 0);
  }

  /** Starts the next numbered step. */
  public void step(String what) {
    step++;
    print(totalSteps > 0 ? "[" + step + "/" + totalSteps + "] " + what : what);
  }

  /** {@code n} and the noun, with an "s" unless {@code n} is 1: "1 file", "11 files". */
  public static String count(long n, String noun) {
    return n + " " + (n == 1 ? noun : noun + "s");
  }

  /** A detail line inside the current step. */
  public void detail(String what) {
    print("      " + what);
  }

  private void print(String line) {
    long s = Duration.between(start, Instant.now()).toSeconds();
    out.printf("%3d:%02d %s%n", s / 60, s % 60, line);
    out.flush();
  }
}
