package dev.airlock.aspectj;

/**
 * Marks every type that declares an {@code @Airlock} method or carries {@code @Airlock} as a
 * {@link AirlockAspect.ToolType}, so {@link AirlockAspect} weaves the methods of those types and of their subtypes
 * (which may inherit the annotation) and no other class. Code style, because annotation-style declarations do not
 * accept {@code hasmethod}; it needs the weaver option {@code -XhasMember}.
 *
 * <p>A type that inherits a method or a constructor declared in an {@code @Airlock} type is marked too: the JVM
 * hands the load-time weaver a class before it loads the class's supertypes, and a supertype's marker exists only
 * once that supertype is woven, so a tool under a class-level annotation on its interface or superclass was left
 * unwoven when it loaded first (the usual order), and with compile-time weaving whenever the annotated type came
 * from a library that was not woven: its calls ran on the host, unguarded. {@code hasmethod} reads inherited members
 * from the supertypes' class files, woven or not. ({@code (@Airlock *)+} would say it directly, but AspectJ drops the
 * {@code +} of a parenthesised annotation pattern.)
 */
public aspect ToolTypes {
  declare parents: (hasmethod(@dev.airlock.annotation.Airlock * *(..))
      || hasmethod(* (@dev.airlock.annotation.Airlock *).*(..))
      || hasmethod((@dev.airlock.annotation.Airlock *).new(..))
      || @dev.airlock.annotation.Airlock *)
      && !dev.airlock.aspectj..* implements AirlockAspect.ToolType;
}
