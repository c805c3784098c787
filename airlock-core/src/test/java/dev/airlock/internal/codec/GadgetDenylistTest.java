package dev.airlock.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GadgetDenylistTest {

  /** The lookup by first name segment denies what a comparison with every listed package prefix denies. */
  @Test
  void everyListedPackageIsDeniedAndNothingBeside() {
    assertThat(GadgetDenylist.PACKAGES).as("the lookup by first segment needs a dot in each")
        .allMatch(p -> p.indexOf('.') > 0);
    List<String> names = new ArrayList<>(List.of("dev.acme.Tool", "Tool", "org", "org.", "orgx.apache.xalan.X",
        "groovyx.Closure", "com.acme.Order", "java.util.ArrayList", "org.apache.commons.dbcp2.BasicDataSource",
        "org.apache.commons.dbcpX", "java.lang.reflectX.Y", "sun.miscellaneous.Z", ".groovy.X", "x.groovy.Y"));
    for (String prefix : GadgetDenylist.PACKAGES) {
      names.add(prefix + "Gadget");
      names.add(prefix + "deeper.Gadget");
      names.add(prefix.substring(0, prefix.length() - 1) + "_.Gadget");
      names.add("x." + prefix + "Gadget");
    }
    int denied = 0;
    for (String name : names) {
      boolean expected = GadgetDenylist.PACKAGES.stream().anyMatch(name::startsWith);
      assertThat(GadgetDenylist.denies(name)).as(name).isEqualTo(expected);
      denied += expected ? 1 : 0;
    }
    assertThat(denied).as("names denied").isGreaterThanOrEqualTo(2 * GadgetDenylist.PACKAGES.size());
    assertThat(GadgetDenylist.denies("java.lang.Runtime")).isTrue();
  }
}
