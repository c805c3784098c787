package dev.airlock.bench;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * A typical tool payload: a document of rows of strings and numbers, sized to about a given number of serialized
 * bytes. Serializable only so Java serialization of the same graph can be measured against Kryo.
 */
public record Document(String id, List<Row> rows) implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Roughly what one row costs serialized, in either format. */
  private static final int ROW_BYTES = 64;

  public record Row(String name, long count, double score, String note) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  static Document ofAbout(int bytes) {
    int count = Math.max(1, bytes / ROW_BYTES);
    List<Row> rows = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      rows.add(new Row("row-" + i, i * 31L, i / 7.0, "note " + (i % 97) + " of the tool output"));
    }
    return new Document("doc-" + bytes, rows);
  }
}
