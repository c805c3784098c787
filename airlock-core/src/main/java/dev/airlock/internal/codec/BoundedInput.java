package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.KryoException;
import com.esotericsoftware.kryo.kryo5.io.Input;

/**
 * A Kryo input over a complete byte array that refuses any declared length larger than the bytes left, so a hostile
 * length costs an exception instead of a giant allocation (Kryo 5.6 allocates first and reads after).
 *
 * <p>Invariant: one decode spends at most {@link #UNITS_PER_BYTE} units per byte of its input (plus a little slack),
 * where every declared size (collection, map, array, string) costs one unit per element and every object read costs
 * one more. A per-size check alone is not enough: Kryo reads a list whose elements are all null from one flag, so
 * each of many lists could claim all the bytes left. With one budget for the whole decode, what the host allocates
 * is at most a few references per unit, a small multiple of the result's bytes.
 */
final class BoundedInput extends Input {
  /** Real data costs at most two units per byte (a list of one-byte elements: its size plus one visit each). */
  static final int UNITS_PER_BYTE = 3;
  private static final int SLACK_UNITS = 4096;
  /**
   * Hashing a set's elements or a map's entries walks what lies beneath each (a list's hash code is its elements'),
   * and a set inside a set's element is walked again for every set above it: sets nested 380 deep around one list
   * made 42 KB cost the calling thread 20 ms, 380 hash codes for each element of the list. So what lies beneath the
   * elements of every hashed set and the entries of every hashed map is charged once per such set or map, at most
   * this many units per byte: real data nests hashed collections in each other a few levels deep at most.
   */
  static final int HASH_UNITS_PER_BYTE = 8;
  private long unitsLeft;
  private long hashUnitsLeft;

  BoundedInput(byte[] bytes) {
    super(bytes);
    unitsLeft = (long) UNITS_PER_BYTE * bytes.length + SLACK_UNITS;
    hashUnitsLeft = (long) HASH_UNITS_PER_BYTE * bytes.length + SLACK_UNITS;
  }

  /** Spends {@code units} of this decode's hashing budget (objects a hash code walks), or refuses the result. */
  void chargeHashing(long units) {
    hashUnitsLeft -= units;
    if (hashUnitsLeft < 0) {
      throw new KryoException("its hashed sets and maps are nested so that hashing them would walk more objects than "
          + "its " + limit + " bytes can justify (at most " + HASH_UNITS_PER_BYTE + " per byte); return fewer sets or "
          + "maps inside the elements and keys of others");
    }
  }

  /** Spends {@code units} of this decode's budget, or refuses the result when it is spent. */
  void charge(long units, String what) {
    unitsLeft -= units;
    if (unitsLeft < 0) {
      throw new KryoException("its " + what + " makes it declare more elements and objects than its " + limit
          + " bytes can describe (at most " + UNITS_PER_BYTE + " per byte, empty and null elements included)");
    }
  }

  int remaining() {
    return limit - position;
  }

  void checkDeclared(long count, int minBytesEach, String what) {
    if (count < 0 || count * minBytesEach > remaining()) {
      throw new KryoException("declared " + what + " of " + count + " exceeds the " + remaining()
          + " bytes left in the result");
    }
    charge(count, what);
  }

  @Override
  public String readString() {
    checkStringLength();
    return super.readString();
  }

  @Override
  public StringBuilder readStringBuilder() {
    checkStringLength();
    return super.readStringBuilder();
  }

  private void checkStringLength() {
    int start = position;
    if (readVarIntFlag()) {
      long length = readVarIntFlag(true) - 1L;
      // -1 is how Kryo writes a null string.
      if (length != -1) {
        checkDeclared(length, 1, "string length");
      }
    }
    position = start;
  }

  @Override
  public byte[] readBytes(int length) {
    checkDeclared(length, 1, "byte array length");
    return super.readBytes(length);
  }

  @Override
  public int[] readInts(int length) {
    checkDeclared(length, Integer.BYTES, "int array length");
    return super.readInts(length);
  }

  @Override
  public int[] readInts(int length, boolean optimizePositive) {
    checkDeclared(length, 1, "int array length");
    return super.readInts(length, optimizePositive);
  }

  @Override
  public long[] readLongs(int length) {
    checkDeclared(length, Long.BYTES, "long array length");
    return super.readLongs(length);
  }

  @Override
  public long[] readLongs(int length, boolean optimizePositive) {
    checkDeclared(length, 1, "long array length");
    return super.readLongs(length, optimizePositive);
  }

  @Override
  public float[] readFloats(int length) {
    checkDeclared(length, Float.BYTES, "float array length");
    return super.readFloats(length);
  }

  @Override
  public double[] readDoubles(int length) {
    checkDeclared(length, Double.BYTES, "double array length");
    return super.readDoubles(length);
  }

  @Override
  public short[] readShorts(int length) {
    checkDeclared(length, Short.BYTES, "short array length");
    return super.readShorts(length);
  }

  @Override
  public char[] readChars(int length) {
    checkDeclared(length, Character.BYTES, "char array length");
    return super.readChars(length);
  }

  @Override
  public boolean[] readBooleans(int length) {
    checkDeclared(length, 1, "boolean array length");
    return super.readBooleans(length);
  }
}
