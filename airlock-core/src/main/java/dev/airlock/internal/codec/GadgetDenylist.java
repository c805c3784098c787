package dev.airlock.internal.codec;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The second line behind {@link ClassAllowlist}: classes and packages of known deserialization gadgets (the
 * ysoserial families and their kin), refused in a result even when a user admitted them by exact name or by a
 * package wildcard. The allowlist alone decides what is admitted; this list only catches a careless wildcard.
 */
final class GadgetDenylist {

  static final List<String> PACKAGES = List.of(
      "org.apache.commons.collections.functors.", "org.apache.commons.collections4.functors.",
      "org.apache.commons.collections.comparators.", "org.apache.commons.collections4.comparators.",
      "org.apache.commons.collections.keyvalue.", "org.apache.commons.collections4.keyvalue.",
      "org.apache.commons.collections.map.", "org.apache.commons.collections4.map.",
      "org.apache.commons.beanutils.", "org.apache.xalan.", "com.sun.org.apache.xalan.", "org.apache.xpath.",
      "com.sun.org.apache.xpath.", "org.codehaus.groovy.", "groovy.", "org.springframework.beans.",
      "org.springframework.aop.", "org.springframework.core.", "org.springframework.context.",
      "org.springframework.jndi.", "org.springframework.transaction.", "com.mchange.", "com.sun.syndication.",
      "com.rometools.", "org.hibernate.", "bsh.", "clojure.", "org.mozilla.javascript.", "org.python.",
      "org.jboss.", "org.apache.myfaces.", "org.apache.wicket.", "net.sf.json.", "com.alibaba.fastjson.",
      "org.apache.tomcat.dbcp.", "org.apache.commons.dbcp", "org.apache.commons.fileupload.",
      "org.apache.commons.configuration.", "org.apache.commons.jxpath.", "org.apache.ibatis.", "javassist.",
      "com.sun.rowset.", "com.sun.jndi.", "javax.management.", "javax.naming.", "javax.script.", "java.rmi.",
      "sun.rmi.", "java.beans.", "java.lang.reflect.", "java.lang.invoke.", "sun.reflect.", "jdk.internal.",
      "sun.misc.", "ch.qos.logback.", "org.apache.log4j.", "org.apache.logging.log4j.", "com.zaxxer.hikari.",
      "org.eclipse.jetty.", "org.apache.click.", "org.apache.batik.", "org.aspectj.", "net.bytebuddy.",
      "org.mockito.", "com.esotericsoftware.");

  private static final Set<String> CLASSES = Set.of(
      "java.lang.Runtime", "java.lang.ProcessBuilder", "java.lang.Process", "java.lang.Thread",
      "java.lang.ClassLoader", "java.lang.System", "java.net.URL", "java.net.URLClassLoader",
      "java.util.PriorityQueue", "java.util.concurrent.PriorityBlockingQueue", "java.util.ServiceLoader",
      "java.util.Collections$ReverseComparator2", "javax.swing.UIDefaults", "javax.swing.UIDefaults$ProxyLazyValue",
      "java.util.logging.Logger");

  /**
   * {@link #PACKAGES} by their first name segment ({@code org} of {@code org.apache.xalan.}). Every prefix holds a dot,
   * so a name can start with only those of its own first segment: a class of a package no prefix begins like (most
   * of an application's) is cleared by one lookup instead of 65 comparisons, on every class a decode judges.
   */
  private static final Map<String, List<String>> PACKAGES_BY_FIRST_SEGMENT = PACKAGES.stream()
      .collect(Collectors.groupingBy(p -> p.substring(0, p.indexOf('.'))));

  private GadgetDenylist() {
  }

  /** Whether {@code className} (a binary name, no array brackets) is a known gadget. */
  static boolean denies(String className) {
    if (CLASSES.contains(className)) {
      return true;
    }
    int dot = className.indexOf('.');
    if (dot < 0) {
      return false;
    }
    for (String p : PACKAGES_BY_FIRST_SEGMENT.getOrDefault(className.substring(0, dot), List.of())) {
      if (className.startsWith(p)) {
        return true;
      }
    }
    return false;
  }
}
