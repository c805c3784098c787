package dev.airlock.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes the figures as the Markdown tables of docs/benchmarks.md and as JSON. */
final class ReportWriter {
  private final Map<String, String> machine;
  private final List<Figure> figures;
  private final List<String> notes;

  ReportWriter(Map<String, String> machine, List<Figure> figures, List<String> notes) {
    this.machine = machine;
    this.figures = figures;
    this.notes = notes;
  }

  String markdownTables() {
    StringBuilder md = new StringBuilder();
    md.append("| | |\n|---|---|\n");
    machine.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    Map<String, List<Figure>> sections = new LinkedHashMap<>();
    sections.put("Headline: the targets", figures.stream().filter(f -> f.met() != null).toList());
    for (Figure f : figures) {
      sections.computeIfAbsent(f.section(), s -> new java.util.ArrayList<>()).add(f);
    }
    sections.forEach((section, rows) -> {
      md.append("\n### ").append(section).append("\n\n");
      md.append("| Figure | Value | Baseline (same run) | Ratio | Target | Met |\n");
      md.append("|---|---:|---|---:|---|---|\n");
      for (Figure f : rows) {
        md.append("| ").append(f.name()).append(" | ").append(number(f.value())).append(' ').append(f.unit())
            .append(" | ").append(f.baseline()).append(": ").append(number(f.baselineValue())).append(' ')
            .append(f.unit()).append(" | ").append(number(f.ratio())).append("× | ").append(f.target())
            .append(" | ").append(f.met() == null ? "" : f.met() ? "yes" : "**no**").append(" |\n");
      }
    });
    if (!notes.isEmpty()) {
      md.append('\n');
      for (String note : notes) {
        md.append("- ").append(note).append('\n');
      }
    }
    return md.toString();
  }

  String json() {
    StringBuilder json = new StringBuilder("{\n  \"machine\": {");
    String sep = "\n";
    for (Map.Entry<String, String> e : machine.entrySet()) {
      json.append(sep).append("    ").append(quote(e.getKey())).append(": ").append(quote(e.getValue()));
      sep = ",\n";
    }
    json.append("\n  },\n  \"figures\": [");
    sep = "\n";
    for (Figure f : figures) {
      json.append(sep).append("    {\"section\": ").append(quote(f.section()))
          .append(", \"name\": ").append(quote(f.name()))
          .append(", \"value\": ").append(jsonNumber(f.value()))
          .append(", \"unit\": ").append(quote(f.unit()))
          .append(", \"baseline\": ").append(quote(f.baseline()))
          .append(", \"baselineValue\": ").append(jsonNumber(f.baselineValue()))
          .append(", \"ratio\": ").append(jsonNumber(f.ratio()))
          .append(", \"target\": ").append(quote(f.target()))
          .append(", \"met\": ").append(f.met()).append('}');
      sep = ",\n";
    }
    json.append("\n  ],\n  \"notes\": [");
    sep = "\n";
    for (String note : notes) {
      json.append(sep).append("    ").append(quote(note));
      sep = ",\n";
    }
    return json.append("\n  ]\n}\n").toString();
  }

  void write(Path markdown, Path jsonFile) throws IOException {
    Files.createDirectories(jsonFile.toAbsolutePath().getParent());
    Files.writeString(jsonFile, json());
    Files.writeString(markdown, replaceGenerated(Files.exists(markdown) ? Files.readString(markdown) : "",
        markdownTables()));
  }

  static final String BEGIN = "<!-- BEGIN GENERATED FIGURES -->";
  static final String END = "<!-- END GENERATED FIGURES -->";

  /** Replaces the generated block of {@code document}, keeping the prose around it; appends one if absent. */
  static String replaceGenerated(String document, String tables) {
    String block = BEGIN + "\n" + tables + END;
    int begin = document.indexOf(BEGIN);
    int end = document.indexOf(END);
    if (begin < 0 || end < begin) {
      return document + (document.isEmpty() ? "" : "\n") + block + "\n";
    }
    return document.substring(0, begin) + block + document.substring(end + END.length());
  }

  private static String number(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    double abs = Math.abs(v);
    String pattern = abs >= 100 ? "%,.0f" : abs >= 10 ? "%.1f" : abs >= 1 ? "%.2f" : "%.3f";
    return String.format(Locale.ROOT, pattern, v);
  }

  private static String jsonNumber(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? "null" : String.format(Locale.ROOT, "%.4f", v);
  }

  private static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
