package dev.airlock.samples.springboot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A web app whose agent tools run in sandboxes: the airlock-spring starter on the classpath is all it takes. */
@SpringBootApplication
public class SpringBootSample {
  public static void main(String[] args) {
    SpringApplication.run(SpringBootSample.class, args);
  }
}
