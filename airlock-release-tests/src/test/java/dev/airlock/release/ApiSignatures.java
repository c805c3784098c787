package dev.airlock.release;

import java.util.ArrayList;
import java.util.List;

/**
 * Java source syntax for the JVM's type descriptors and generic signatures (JVMS 4.3 and 4.7.9.1): a descriptor is a
 * signature without type variables, so one parser reads both. Class names stay binary names with dots
 * (dev.airlock.SandboxPool$Builder), so a nested class reads the same in a descriptor and in a signature.
 */
final class ApiSignatures {
  private final String text;
  private int pos;

  private ApiSignatures(String text) {
    this.text = text;
  }

  /** A field's type. */
  static String type(String signature) {
    ApiSignatures parser = new ApiSignatures(signature);
    String type = parser.typeSignature();
    parser.expectEnd();
    return type;
  }

  /** A class's type parameters (or ""), superclass and interfaces, in that order. */
  static List<String> classSignature(String signature) {
    ApiSignatures parser = new ApiSignatures(signature);
    List<String> parts = new ArrayList<>();
    parts.add(parser.typeParameters());
    while (parser.pos < parser.text.length()) {
      parts.add(parser.typeSignature());
    }
    return parts;
  }

  /** A method's parts: type parameters (or ""), return type, parameter types and thrown types. */
  record Method(String typeParameters, String returnType, List<String> parameters, List<String> exceptions) {
  }

  static Method method(String signature) {
    ApiSignatures parser = new ApiSignatures(signature);
    String typeParameters = parser.typeParameters();
    parser.expect('(');
    List<String> parameters = new ArrayList<>();
    while (parser.peek() != ')') {
      parameters.add(parser.typeSignature());
    }
    parser.expect(')');
    String returnType = parser.typeSignature();
    List<String> exceptions = new ArrayList<>();
    while (parser.pos < parser.text.length()) {
      parser.expect('^');
      exceptions.add(parser.typeSignature());
    }
    return new Method(typeParameters, returnType, parameters, exceptions);
  }

  /** An internal name (dev/airlock/SandboxPool$Builder) as a binary name with dots. */
  static String className(String internalName) {
    return internalName.replace('/', '.');
  }

  private String typeParameters() {
    if (pos >= text.length() || peek() != '<') {
      return "";
    }
    expect('<');
    List<String> parameters = new ArrayList<>();
    while (peek() != '>') {
      String name = text.substring(pos, text.indexOf(':', pos));
      pos += name.length();
      List<String> bounds = new ArrayList<>();
      expect(':');
      if ("LT[".indexOf(peek()) >= 0) {
        bounds.add(typeSignature());
      }
      while (peek() == ':') {
        pos++;
        bounds.add(typeSignature());
      }
      bounds.remove("java.lang.Object");
      parameters.add(bounds.isEmpty() ? name : name + " extends " + String.join(" & ", bounds));
    }
    expect('>');
    return "<" + String.join(", ", parameters) + ">";
  }

  private String typeSignature() {
    char c = text.charAt(pos++);
    switch (c) {
      case 'B': return "byte";
      case 'C': return "char";
      case 'D': return "double";
      case 'F': return "float";
      case 'I': return "int";
      case 'J': return "long";
      case 'S': return "short";
      case 'Z': return "boolean";
      case 'V': return "void";
      case '[': return typeSignature() + "[]";
      case 'T': {
        int end = text.indexOf(';', pos);
        String name = text.substring(pos, end);
        pos = end + 1;
        return name;
      }
      case 'L': return classTypeSignature();
      default: throw new IllegalArgumentException("not a type at " + (pos - 1) + " of " + text);
    }
  }

  private String classTypeSignature() {
    StringBuilder type = new StringBuilder();
    int start = pos;
    while ("<.;".indexOf(peek()) < 0) {
      pos++;
    }
    type.append(className(text.substring(start, pos)));
    while (true) {
      if (peek() == '<') {
        type.append(typeArguments());
      }
      if (peek() == '.') {
        // A member class of a parameterized type: Outer<T>.Inner
        pos++;
        start = pos;
        while ("<.;".indexOf(peek()) < 0) {
          pos++;
        }
        type.append('.').append(text, start, pos);
        continue;
      }
      expect(';');
      return type.toString();
    }
  }

  private String typeArguments() {
    expect('<');
    List<String> arguments = new ArrayList<>();
    while (peek() != '>') {
      char c = peek();
      if (c == '*') {
        pos++;
        arguments.add("?");
      } else if (c == '+') {
        pos++;
        arguments.add("? extends " + typeSignature());
      } else if (c == '-') {
        pos++;
        arguments.add("? super " + typeSignature());
      } else {
        arguments.add(typeSignature());
      }
    }
    expect('>');
    return "<" + String.join(", ", arguments) + ">";
  }

  private char peek() {
    if (pos >= text.length()) {
      throw new IllegalArgumentException("unexpected end of " + text);
    }
    return text.charAt(pos);
  }

  private void expect(char c) {
    if (peek() != c) {
      throw new IllegalArgumentException("expected '" + c + "' at " + pos + " of " + text);
    }
    pos++;
  }

  private void expectEnd() {
    if (pos != text.length()) {
      throw new IllegalArgumentException("trailing characters at " + pos + " of " + text);
    }
  }
}
