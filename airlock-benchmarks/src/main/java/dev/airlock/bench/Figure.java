package dev.airlock.bench;

/**
 * One measured figure next to its baseline from the same run. {@code ratio} is value over baseline; {@code target}
 * and {@code met} are empty and null where the issue sets no target.
 */
record Figure(String section, String name, double value, String unit, String baseline, double baselineValue,
    String target, Boolean met) {

  double ratio() {
    return baselineValue == 0 ? Double.NaN : value / baselineValue;
  }

  static Figure of(String section, String name, double value, String unit, String baseline, double baselineValue) {
    return new Figure(section, name, value, unit, baseline, baselineValue, "", null);
  }

  Figure target(String description, boolean reached) {
    return new Figure(section, name, value, unit, baseline, baselineValue, description, reached);
  }
}
