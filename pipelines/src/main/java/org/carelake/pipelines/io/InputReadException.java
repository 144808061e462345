package org.carelake.pipelines.io;

import java.io.IOException;
import java.util.Locale;
import org.carelake.core.CareLakeException;

/**
 * An input file that could not be read inside a Spark task (a truncated or corrupt gzip, an I/O
 * error), with a message naming the file; {@link #asBadInput} turns the job failure that carries it
 * into a bad-input error.
 */
public final class InputReadException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** What to do about an unreadable file, when the failure stopped the run before any commit. */
  public static final String FIX = "nothing was committed; replace the file (e.g. download or export it again) and run again.";

  public InputReadException(String message, Throwable cause) {
    super(message, cause);
  }

  /** {@code file} could not be read; {@code where} says where in it (may be empty). */
  public static InputReadException of(String file, String where, IOException e) {
    boolean gzip = file.toLowerCase(Locale.ROOT).endsWith(".gz");
    return new InputReadException("Cannot read " + file + where + ": " + e.getMessage()
        + (gzip ? " (the gzip file is truncated or corrupt)" : ""), e);
  }

  /**
   * The failure of a Spark job as a bad-input error when a task failed on an unreadable file (an
   * {@code InputReadException} in its causes, or only in its message when Spark could not hand the
   * task's exception back whole); any other failure as it is.
   */
  public static RuntimeException asBadInput(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InputReadException r) {
        return CareLakeException.badInput(r.getMessage() + ".", FIX);
      }
      if (t instanceof CareLakeException c) {
        return c;
      }
    }
    String m = String.valueOf(e.getMessage());
    String marker = InputReadException.class.getSimpleName() + ": ";
    int at = m.indexOf(marker);
    if (at >= 0) {
      return CareLakeException.badInput(m.substring(at + marker.length()).lines().findFirst().orElse(m) + ".", FIX);
    }
    return e instanceof RuntimeException r ? r : new IllegalStateException(e);
  }
}
