package org.carelake.core;

/**
 * A user-facing failure: says what went wrong, why, and how to fix it (Delta's exception principles).
 * Messages never carry record contents, so they are safe to log even for PHI inputs.
 */
public class CareLakeException extends RuntimeException {

  /** How the command line should exit for this failure. */
  public enum Kind {
    /** Bad usage or bad input: exit 2. */
    BAD_INPUT(2),
    /** A quality or fairness gate failed: exit 1. */
    GATE_FAILED(1);

    private final int exitCode;

    Kind(int exitCode) {
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }
  }

  private final Kind kind;
  private final String problem;
  private final String fix;

  public CareLakeException(Kind kind, String problem, String fix) {
    this(kind, problem, fix, null);
  }

  public CareLakeException(Kind kind, String problem, String fix, Throwable cause) {
    // A problem of several lines (e.g. Spark's syntax error with its caret) gets its fix on a line of its own.
    super(problem + (fix == null || fix.isBlank() ? "" : (problem.contains("\n") ? "\nFix: " : " Fix: ") + fix), cause);
    this.kind = kind;
    this.problem = problem;
    this.fix = fix;
  }

  /**
   * Why a file could not be read or parsed, in words and on one line: the JDK's file-system
   * exceptions carry only the path as their message, which the caller has already named, and
   * Jackson's quote the offending value whole (cut at {@value #REASON_CHARS} characters here).
   */
  public static String reason(java.io.IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    String message = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    if (message == null) {
      return e.getClass().getSimpleName();
    }
    String line = message.split("\n")[0];
    return line.length() <= REASON_CHARS ? line : line.substring(0, REASON_CHARS) + "...";
  }

  static final int REASON_CHARS = 240;

  public static CareLakeException badInput(String problem, String fix) {
    return new CareLakeException(Kind.BAD_INPUT, problem, fix);
  }

  public static CareLakeException gateFailed(String problem, String fix) {
    return new CareLakeException(Kind.GATE_FAILED, problem, fix);
  }

  public Kind kind() {
    return kind;
  }

  /** The message without its fix. */
  public String problem() {
    return problem;
  }

  public String fix() {
    return fix;
  }
}
