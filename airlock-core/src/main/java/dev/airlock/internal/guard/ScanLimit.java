package dev.airlock.internal.guard;

/**
 * What a regular-expression scan of text from a sandbox or an upstream may cost: a deadline, or a number of
 * characters read. The patterns are written to be linear; this bounds what they cost on the caller's thread even so, by
 * construction: a matcher reads every character through {@link CharSequence#charAt} of the text {@link #over} gives it.
 * One limit is shared by every text it is put over, so the patterns of one piece of work spend it together.
 */
public final class ScanLimit {
  /** Thrown out of a scan that passed its limit; it has no stack, since it is expected. */
  public static final class Overrun extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Overrun(String message) {
      super(message, null, false, false);
    }
  }

  private static final long NO_DEADLINE = Long.MAX_VALUE;

  private final long deadlineNanos;
  private final String what;
  private long readsLeft;
  private int reads;

  private ScanLimit(long deadlineNanos, long readsLeft, String what) {
    this.deadlineNanos = deadlineNanos;
    this.readsLeft = readsLeft;
    this.what = what;
  }

  /** Until {@code deadlineNanos} of {@link System#nanoTime}; the clock is read every 4096 characters. */
  public static ScanLimit until(long deadlineNanos, String what) {
    return new ScanLimit(deadlineNanos, Long.MAX_VALUE, what);
  }

  /** Until {@code reads} characters have been read: the same text always gets the same verdict, however busy. */
  public static ScanLimit reads(long reads, String what) {
    return new ScanLimit(NO_DEADLINE, reads, what);
  }

  /** {@code text}, read through this limit. */
  public CharSequence over(String text) {
    return new Limited(text);
  }

  private void read() {
    if (--readsLeft < 0 || (++reads & 4095) == 0 && deadlineNanos != NO_DEADLINE
        && System.nanoTime() - deadlineNanos > 0) {
      throw new Overrun(what);
    }
  }

  private final class Limited implements CharSequence {
    private final String text;

    Limited(String text) {
      this.text = text;
    }

    @Override
    public char charAt(int index) {
      read();
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
}
