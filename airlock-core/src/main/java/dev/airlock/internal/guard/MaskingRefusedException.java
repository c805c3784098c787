package dev.airlock.internal.guard;

import dev.airlock.AirlockException;

/**
 * A result or exception could not be masked (a type the masker cannot walk, a value whose masked form does not fit,
 * a walk over its size or time budget), so it is not returned at all: masking fails closed.
 */
public final class MaskingRefusedException extends AirlockException {
  private static final long serialVersionUID = 1L;

  public MaskingRefusedException(String message) {
    super(message);
  }
}
