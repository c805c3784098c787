package dev.airlock.agent;

import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;

/** Stands for {@code @Airlock} in {@link WarmUpSample}'s class file (a top-level type: its name has the length). */
@Retention(RetentionPolicy.RUNTIME)
@interface WarmUpMarker {
}
