package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.KryoException;
import com.esotericsoftware.kryo.kryo5.io.Input;

/**
 * A Kryo input over a complete byte array that refuses any declared length larger than the bytes left, so a hostile
 * length costs an exception instead of a giant allocation (Kryo 5.6 allocates first and reads after).
 */
final class BoundedInput extends Input {

  BoundedInput(byte[] bytes) {
    super(bytes);
  }

  int remaining() {
    return limit - position;
  }

  void checkDeclared(long count, int minBytesEach, String what) {
    if (count < 0 || count * minBytesEach > remaining()) {
      throw new KryoException("declared " + what + " of " + count + " exceeds the " + remaining()
          + " bytes left in the result");
    }
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
