package dev.airlock.internal.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.esotericsoftware.kryo.kryo5.DefaultSerializer;
import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.KryoSerializable;
import com.esotericsoftware.kryo.kryo5.Serializer;
import com.esotericsoftware.kryo.kryo5.io.Input;
import com.esotericsoftware.kryo.kryo5.io.Output;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * PREPARE names the classes of recent calls, and the class-data archive's training worker gets the classpath's
 * {@code @Airlock} classes: no code of theirs may run there, or a tool's code would run in a worker that no call of
 * its was sent to, and in the one whose exit writes the archive later workers map.
 */
class PrepareTest {
  static final List<String> RAN = new CopyOnWriteArrayList<>();

  enum Mode {
    ON, OFF;

    static {
      RAN.add("Mode.<clinit>");
    }
  }

  static class ChosenSerializer extends Serializer<Annotated> {
    static {
      RAN.add("ChosenSerializer.<clinit>");
    }

    public ChosenSerializer() {
      RAN.add("ChosenSerializer.<init>");
    }

    @Override
    public void write(Kryo kryo, Output output, Annotated object) {
    }

    @Override
    public Annotated read(Kryo kryo, Input input, Class<? extends Annotated> type) {
      return null;
    }
  }

  @DefaultSerializer(ChosenSerializer.class)
  static class Annotated {
    static {
      RAN.add("Annotated.<clinit>");
    }
  }

  static class Plain {
    static {
      RAN.add("Plain.<clinit>");
    }

    Mode mode;
    Annotated annotated;
  }

  record Point(int x, int y) {
    static {
      RAN.add("Point.<clinit>");
    }
  }

  static class OwnWire implements KryoSerializable {
    static {
      RAN.add("OwnWire.<clinit>");
    }

    @Override
    public void write(Kryo kryo, Output output) {
    }

    @Override
    public void read(Kryo kryo, Input input) {
    }
  }

  static class Bag extends ArrayList<String> {
    static {
      RAN.add("Bag.<clinit>");
    }
  }

  static class Table extends HashMap<String, String> {
    static {
      RAN.add("Table.<clinit>");
    }
  }

  @Test
  void preparingRunsNoStaticInitializerOrConstructorOfTheNamedClasses() {
    WorkerMain.prepare(Stream.of(Mode.class, Annotated.class, Plain.class, Point.class, OwnWire.class, Bag.class,
        Table.class).map(Class::getName).toList());

    assertThat(RAN).as("static initializers and constructors run by PREPARE").isEmpty();
  }
}
