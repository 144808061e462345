package org.carelake.pipelines.wearable;

/** A record that cannot be accepted: the reason and, for a person, what is wrong (no record content). */
final class Rejected extends Exception {

  private static final long serialVersionUID = 1L;

  private final Reason reason;

  Rejected(Reason reason, String why) {
    super(why, null, false, false);
    this.reason = reason;
  }

  Reason reason() {
    return reason;
  }
}
