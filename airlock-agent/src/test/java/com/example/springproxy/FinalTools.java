package com.example.springproxy;

import dev.airlock.annotation.Airlock;
import org.springframework.aop.SpringProxy;
import org.springframework.aop.TargetSource;
import org.springframework.aop.framework.Advised;

/** A bean with a final host tool, and a class shaped as Spring's CGLIB proxy of it. */
public class FinalTools {
  private final String state;

  public FinalTools() {
    this("bean");
  }

  FinalTools(String state) {
    this.state = state;
  }

  @Airlock(timeoutSeconds = 30)
  public final String where() {
    return "state=" + state;
  }

  /** What Spring makes: a subclass whose own fields are empty, which cannot override the final method. */
  public static class Proxy extends FinalTools implements SpringProxy, Advised {
    private final TargetSource source;

    public Proxy(FinalTools target) {
      this(new Fixed(target));
    }

    public Proxy(TargetSource source) {
      super(null);
      this.source = source;
    }

    @Override
    public TargetSource getTargetSource() {
      return source;
    }
  }

  /**
   * Spring's target source of a scoped or prototype bean: a bean for each call, handed back after it. Counts what
   * it hands out and takes back.
   */
  public static class PerCall implements TargetSource {
    public int made;
    public int released;

    @Override
    public boolean isStatic() {
      return false;
    }

    @Override
    public Object getTarget() {
      made++;
      return new FinalTools("call " + made);
    }

    @Override
    public void releaseTarget(Object target) {
      released++;
    }
  }

  /** Spring's SingletonTargetSource: always the one bean. */
  public static class Fixed implements TargetSource {
    private final Object target;

    public Fixed(Object target) {
      this.target = target;
    }

    @Override
    public boolean isStatic() {
      return true;
    }

    @Override
    public Object getTarget() {
      return target;
    }
  }
}
