package dev.airlock.release;

import java.util.ArrayList;
import java.util.List;

/** A unified diff of two texts by lines (longest common subsequence), as `diff -u` prints it, with 3 lines of context. */
final class ApiDiff {
  private static final int CONTEXT = 3;

  private ApiDiff() {
  }

  /** "" when the texts are equal, else the diff from {@code before} to {@code after} with both named in its header. */
  static String unified(String name, String before, String after) {
    if (before.equals(after)) {
      return "";
    }
    List<String> a = lines(before);
    List<String> b = lines(after);
    // common[i][j]: length of the longest common subsequence of a[i..] and b[j..]
    int[][] common = new int[a.size() + 1][b.size() + 1];
    for (int i = a.size() - 1; i >= 0; i--) {
      for (int j = b.size() - 1; j >= 0; j--) {
        common[i][j] = a.get(i).equals(b.get(j)) ? common[i + 1][j + 1] + 1
            : Math.max(common[i + 1][j], common[i][j + 1]);
      }
    }
    List<Edit> edits = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < a.size() || j < b.size()) {
      if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j))) {
        edits.add(new Edit(' ', a.get(i), i++, j++));
      } else if (j < b.size() && (i == a.size() || common[i][j + 1] >= common[i + 1][j])) {
        edits.add(new Edit('+', b.get(j), i, j++));
      } else {
        edits.add(new Edit('-', a.get(i), i++, j));
      }
    }
    StringBuilder diff = new StringBuilder("--- " + name + " (committed)\n+++ " + name + " (compiled)\n");
    int k = 0;
    while (k < edits.size()) {
      if (edits.get(k).kind == ' ') {
        k++;
        continue;
      }
      int start = Math.max(0, k - CONTEXT);
      int end = k;
      // Extend the hunk while the next change is within two contexts of the last one.
      for (int m = k; m < edits.size(); m++) {
        if (edits.get(m).kind != ' ') {
          end = m;
        } else if (m - end > 2 * CONTEXT) {
          break;
        }
      }
      end = Math.min(edits.size() - 1, end + CONTEXT);
      List<Edit> hunk = edits.subList(start, end + 1);
      long removed = hunk.stream().filter(e -> e.kind != '+').count();
      long added = hunk.stream().filter(e -> e.kind != '-').count();
      diff.append(String.format("@@ -%d,%d +%d,%d @@\n", hunk.get(0).before + 1, removed, hunk.get(0).after + 1,
          added));
      hunk.forEach(e -> diff.append(e.kind).append(e.line).append('\n'));
      k = end + 1;
    }
    return diff.toString();
  }

  private record Edit(char kind, String line, int before, int after) {
  }

  private static List<String> lines(String text) {
    return text.isEmpty() ? List.of() : List.of(text.split("\n", -1));
  }
}
