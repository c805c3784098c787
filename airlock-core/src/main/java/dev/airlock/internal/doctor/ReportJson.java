package dev.airlock.internal.doctor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The report for scripts. Jackson is an optional dependency of airlock-core: the agent jar carries it for the doctor,
 * and {@code --json} without it is refused before anything runs ({@link #available()}).
 */
final class ReportJson {

  private ReportJson() {
  }

  static boolean available() {
    try {
      Class.forName("com.fasterxml.jackson.databind.ObjectMapper", false, ReportJson.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  static String write(DoctorReport report) {
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report);
    } catch (Exception e) {
      throw new IllegalStateException("the doctor's report could not be written as JSON: " + e, e);
    }
  }
}
