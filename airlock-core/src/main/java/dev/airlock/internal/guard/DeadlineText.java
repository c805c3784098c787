package dev.airlock.internal.guard;

/**
 * A text that stops a regular-expression scan at a deadline: the matcher reads every character through
 * {@link #charAt}, which checks the clock every 4096 reads. The patterns are linear already; this bounds what they
 * cost on the caller's thread even so.
 */
final class DeadlineText implements CharSequence {
  /** Thrown out of a scan that passed the deadline. */
  static final class Overrun extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Overrun() {
      super("masking passed its deadline", null, false, false);
    }
  }

  private final String text;
  private final long deadlineNanos;
  private int reads;

  DeadlineText(String text, long deadlineNanos) {
    this.text = text;
    this.deadlineNanos = deadlineNanos;
  }

  @Override
  public char charAt(int index) {
    if ((++reads & 4095) == 0 && System.nanoTime() - deadlineNanos > 0) {
      throw new Overrun();
    }
    return text.charAt(index);
  }

  @Override
  public int length() {
    return text.length();
  }

  @Override
  public CharSequence subSequence(int start, int end) {
    return text.substring(start, end);
  }

  @Override
  public String toString() {
    return text;
  }
}
