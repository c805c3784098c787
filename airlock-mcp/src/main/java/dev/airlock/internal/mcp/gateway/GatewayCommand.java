package dev.airlock.internal.mcp.gateway;

import dev.airlock.mcp.AirlockMcpGateway;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code java -jar airlock-mcp-<version>-cli.jar gateway --upstream "<command>" [--config file] [--<key> value]...}:
 * the gateway on stdio, every config key also a flag; {@code approve --pins-file <file> --tool <name>} pins a held
 * definition. Exit codes: 0 done, 2 bad usage or configuration (the message names the key and the fix), 1 failure.
 */
public final class GatewayCommand {
  private static final String LISTEN = "listen";
  private static final String USAGE = "usage:\n"
      + "  gateway --upstream \"<command>\" | --upstream-url <url> [--listen stdio|<host>:<port>]\n"
      + "          [--config <file.properties>] [--<config-key> <value>]...\n"
      + "  approve --pins-file <pins.json> --tool <name>\n"
      + "config keys: " + GatewayConfig.KEYS;

  private GatewayCommand() {
  }

  public static void main(String[] args) {
    System.exit(run(args, System.err));
  }

  static int run(String[] args, PrintStream err) {
    try {
      if (args.length == 0) {
        throw new IllegalArgumentException("no command");
      }
      Map<String, String> flags = flags(args);
      switch (args[0]) {
        case "gateway" -> {
          Map<String, String> config = new LinkedHashMap<>();
          String file = flags.remove("config");
          if (file != null) {
            config.putAll(GatewayConfig.read(Path.of(file)));
          }
          config.putAll(flags);
          String listen = config.getOrDefault(LISTEN, "stdio");
          config.remove(LISTEN);
          AirlockMcpGateway gateway = AirlockMcpGateway.builder(config).build();
          Runtime.getRuntime().addShutdownHook(new Thread(gateway::close, "airlock-mcp-shutdown"));
          if (listen.equals("stdio")) {
            gateway.serveStdio(System.in, System.out);
          } else {
            gateway.serveHttp(address(listen));
          }
          return 0;
        }
        case "approve" -> {
          String pins = required(flags, "pins-file");
          err.println(ToolPins.approveInFile(Path.of(pins), required(flags, "tool")));
          return 0;
        }
        default -> throw new IllegalArgumentException("unknown command '" + args[0] + "'");
      }
    } catch (IllegalArgumentException | IllegalStateException e) {
      err.println("airlock-mcp: " + e.getMessage() + "\n" + USAGE);
      return 2;
    } catch (Exception e) {
      err.println("airlock-mcp: " + e);
      return 1;
    }
  }

  /** {@code stdio}, or {@code host:port} for streamable HTTP at {@code http://host:port/mcp}. */
  private static InetSocketAddress address(String listen) {
    int colon = listen.lastIndexOf(':');
    try {
      return new InetSocketAddress(listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1)));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("listen='" + listen + "' is neither stdio nor host:port, such as"
          + " 127.0.0.1:8931");
    }
  }

  private static Map<String, String> flags(String[] args) {
    Map<String, String> flags = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --<key> <value>, got '" + args[i] + "'");
      }
      flags.put(args[i].substring(2), args[i + 1]);
    }
    return flags;
  }

  private static String required(Map<String, String> flags, String key) {
    String value = flags.get(key);
    if (value == null) {
      throw new IllegalArgumentException("missing --" + key);
    }
    return value;
  }
}
