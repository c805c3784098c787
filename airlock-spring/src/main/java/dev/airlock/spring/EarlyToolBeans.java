package dev.airlock.spring;

import java.lang.reflect.Method;
import org.springframework.aop.framework.autoproxy.AbstractAutoProxyCreator;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.AbstractBeanFactory;
import org.springframework.core.PriorityOrdered;
import org.springframework.util.ClassUtils;

/**
 * The tool beans a context made before it had an auto-proxy creator: they are never proxied, so their calls would run
 * on the host with no policy, sandbox or audit. Run first among the factory post-processors, this adds a
 * post-processor that sees every bean made from then on, as it is made: the dependencies of the application's other
 * factory post-processors and of post-processors registered before the proxy creator, prototypes and factory beans'
 * products included, which the end-of-startup check of the singletons cannot read (a prototype is not kept; a
 * factory may declare a product type with no tool method, and the check does not make such a product).
 * {@link AirlockAutoConfiguration} refuses startup at the first.
 */
final class EarlyToolBeans implements BeanFactoryPostProcessor, PriorityOrdered {
  /** Made before the proxy creator: bean name, class and tool method. */
  record Early(String name, Class<?> type, Method tool) {
  }

  /** The first tool bean made before the proxy creator: one is enough to refuse startup. */
  private volatile Early first;

  @Override
  public int getOrder() {
    return HIGHEST_PRECEDENCE;
  }

  @Override
  public void postProcessBeanFactory(ConfigurableListableBeanFactory beans) {
    beans.addBeanPostProcessor(new BeanPostProcessor() {
      private boolean proxyCreatorRegistered;

      @Override
      public Object postProcessAfterInitialization(Object bean, String name) {
        proxyCreatorRegistered = proxyCreatorRegistered || hasProxyCreator(beans);
        if (!proxyCreatorRegistered) {
          Class<?> type = ClassUtils.getUserClass(bean);
          Method tool = AirlockAutoConfiguration.firstTool(type);
          if (tool != null && !AirlockAutoConfiguration.wovenElsewhere(type)) {
            if (first == null) {
              first = new Early(name, type, tool);
            }
          }
        }
        return bean;
      }
    });
  }

  private static boolean hasProxyCreator(ConfigurableListableBeanFactory beans) {
    return beans instanceof AbstractBeanFactory factory
        && factory.getBeanPostProcessors().stream().anyMatch(AbstractAutoProxyCreator.class::isInstance);
  }

  /** The first tool bean made before the proxy creator, if any. */
  Early first() {
    return first;
  }
}
