package dev.airlock.spring;

import dev.airlock.annotation.Airlock;
import dev.airlock.internal.intercept.EffectiveAirlock;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.context.ResourceLoaderAware;
import org.springframework.core.io.DefaultResourceLoader;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.io.support.ResourcePatternResolver;
import org.springframework.core.io.support.ResourcePatternUtils;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.core.type.MethodMetadata;
import org.springframework.core.type.classreading.CachingMetadataReaderFactory;
import org.springframework.core.type.classreading.MetadataReaderFactory;
import org.springframework.util.ClassUtils;

/**
 * Stops startup at a {@code static} method carrying its own {@link Airlock} that nothing intercepts. Spring's proxy
 * reaches instance methods of beans only, so {@code ShellTools.run(...)} ran its body on the host with no policy,
 * sandbox or audit, a {@code sandboxRequired} tool too, and nothing said so. Left alone when the method's own code is
 * woven: the java agent, or AspectJ weaving (see {@link AirlockAutoConfiguration#wovenElsewhere}).
 *
 * <p>Such methods are looked for on every bean's class ({@link #refuse}, from the per-bean check) and, before any
 * bean is made, in the application's own packages as Spring Boot records them ({@link AutoConfigurationPackages}),
 * where a static tool of a class that is no bean (a LangChain4j or Spring AI tool) lives. The class files are read
 * with Spring's ASM-based metadata, through the context's cache that component scanning of the same packages has
 * filled, and only a class with a static {@code @Airlock} method is loaded. No scan when the agent is installed.
 */
final class StaticToolCheck implements BeanFactoryPostProcessor, ResourceLoaderAware {
  private static final Logger LOG = LoggerFactory.getLogger(StaticToolCheck.class);
  private static final String AIRLOCK = Airlock.class.getName();

  private ResourceLoader resources = new DefaultResourceLoader();

  @Override
  public void setResourceLoader(ResourceLoader resourceLoader) {
    this.resources = resourceLoader;
  }

  @Override
  public void postProcessBeanFactory(ConfigurableListableBeanFactory beans) {
    if (!AutoConfigurationPackages.has(beans) || AirlockAutoConfiguration.agentInstalled()) {
      return;
    }
    long start = System.nanoTime();
    List<String> packages = AutoConfigurationPackages.get(beans);
    Set<Resource> files = new LinkedHashSet<>();
    ResourcePatternResolver resolver = ResourcePatternUtils.getResourcePatternResolver(resources);
    MetadataReaderFactory readers = new CachingMetadataReaderFactory(resources);
    try {
      for (String name : packages) {
        // A set: packages may nest (com.acme and com.acme.tools), and a class is read once.
        files.addAll(List.of(resolver.getResources(
            "classpath*:" + ClassUtils.convertClassNameToResourcePath(name) + "/**/*.class")));
      }
      for (Resource file : files) {
        AnnotationMetadata type = readers.getMetadataReader(file).getAnnotationMetadata();
        if (type.getAnnotatedMethods(AIRLOCK).stream().anyMatch(MethodMetadata::isStatic)) {
          Class<?> found = ClassUtils.resolveClassName(type.getClassName(), beans.getBeanClassLoader());
          refuse(found, "class " + found.getName() + " (in the application's packages " + packages + ")");
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("Airlock: cannot read the classes of the application's packages " + packages
          + " to look for static @Airlock methods, which Spring's proxy cannot intercept", e);
    }
    LOG.debug("Airlock: read {} class files of {} for static tool methods in {} ms", files.size(), packages,
        (System.nanoTime() - start) / 1_000_000);
  }

  /**
   * Throws when {@code type}, its superclasses or its interfaces declare a static method that an {@link Airlock}
   * governs (its own: {@link EffectiveAirlock}) and nothing weaves it.
   *
   * @param holder how the message names where it was found: a bean, or a class of the application's packages
   */
  static void refuse(Class<?> type, String holder) {
    List<Class<?>> hierarchy = new ArrayList<>();
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      hierarchy.add(c);
    }
    hierarchy.addAll(ClassUtils.getAllInterfacesForClassAsSet(type));
    for (Class<?> c : hierarchy) {
      for (Method method : c.getDeclaredMethods()) {
        // The annotation first: asking the rule of every static method of every bean would fill its cache.
        if (Modifier.isStatic(method.getModifiers()) && method.isAnnotationPresent(Airlock.class)
            && EffectiveAirlock.governs(c, method) && !AirlockAutoConfiguration.wovenElsewhere(c)) {
          throw new IllegalStateException("Airlock: " + holder + " has the static tool method " + method
              + ", which Spring's proxy cannot intercept (it reaches instance methods of beans only): its calls ("
              + c.getSimpleName() + "." + method.getName() + "(...)) would run on the host with no policy, sandbox "
              + "or audit. Fix: run with the java agent or AspectJ weaving, which intercept static methods; or make "
              + "it an instance method of a bean and call it through the bean");
        }
      }
    }
  }
}
