package dev.airlock.aspectj;

/**
 * Marks every type that declares an {@code @Airlock} method or carries {@code @Airlock} as a
 * {@link AirlockAspect.ToolType}, so {@link AirlockAspect} weaves the methods of those types and of their subtypes
 * (which may inherit the annotation) and no other class. Code style, because annotation-style declarations do not
 * accept {@code hasmethod}; it needs the weaver option {@code -XhasMember}.
 */
public aspect ToolTypes {
  declare parents: (hasmethod(@dev.airlock.annotation.Airlock * *(..)) || @dev.airlock.annotation.Airlock *)
      && !dev.airlock.aspectj..* implements AirlockAspect.ToolType;
}
