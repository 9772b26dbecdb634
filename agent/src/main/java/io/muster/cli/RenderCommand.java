package io.muster.cli;

import io.muster.agent.AgentConfig;
import io.muster.formation.Decision;
import io.muster.formation.PeerView;
import io.muster.render.FileRenderer;
import io.muster.render.RenderSettings;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code muster render}: consul-template's {@code -dry} and {@code -once}. A dry run prints what
 * every configured file would hold for a decision given on the command line and writes nothing;
 * {@code --once} renders the files for real from the running agent's decision and peer list, runs
 * their commands, and exits.
 */
@Command(
    name = "render",
    mixinStandardHelpOptions = true,
    description = {
      "Print what the configured files (muster.render.N.*) would hold for a decision, writing"
          + " nothing and running nothing: --as seed|join|rejoin, with --peers (else the backend"
          + " is asked once). Each file's text follows a line '> DESTINATION'.",
      "With --once: render the files for real from the running agent's decision and peer list"
          + " (mode, owner, backup and commands as configured), then exit.",
      "Exit 0 when rendered; 1 when the agent has no decision, discovery failed or a file could"
          + " not be written; 2 on a config or usage error."
    })
final class RenderCommand implements Callable<Integer> {

  @Mixin ConfigOption config;

  @Option(
      names = "--as",
      paramLabel = "seed|join|rejoin",
      description = "The decision to render for (dry run).")
  String as;

  @Option(
      names = "--peers",
      split = ",",
      paramLabel = "NODE",
      description =
          "The peer list to render (dry run), comma-separated; this node is added if missing."
              + " Default: ask the backend once.")
  List<String> peers;

  @Option(
      names = "--seed",
      paramLabel = "NODE",
      description = "The node a join or rejoin goes to (dry run). Default: the first other peer.")
  String seed;

  @Option(
      names = "--once",
      description = "Render from the running agent's decision, write the files, and exit.")
  boolean once;

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    AgentConfig loaded = config.load();
    RenderSettings settings = loaded.render();
    PrintWriter err = spec.commandLine().getErr();
    if (settings.items().isEmpty()) {
      err.println(
          "muster render: no files to render: set muster.render.N.template and"
              + " muster.render.N.destination");
      return 2;
    }
    if (once && (as != null || peers != null || seed != null)) {
      err.println(
          "muster render: --once takes the running agent's decision; drop --as/--peers/--seed");
      return 2;
    }
    if (!once && as == null) {
      err.println("muster render: say what to render for: --as seed|join|rejoin, or --once");
      return 2;
    }
    FileRenderer renderer =
        new FileRenderer(
            settings,
            loaded.core().nodeName(),
            loaded.factory().name(),
            loaded.exec().readyTimeout());
    return once ? once(loaded, renderer) : dryRun(loaded, renderer);
  }

  private int dryRun(AgentConfig loaded, FileRenderer renderer) throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    NodeName self = loaded.core().nodeName();
    List<NodeName> list = new ArrayList<>();
    try {
      if (peers != null) {
        for (String p : peers) {
          list.add(NodeName.parse(p.trim()));
        }
      }
      Optional<NodeName> to = seed == null ? Optional.empty() : Optional.of(NodeName.parse(seed));
      if (peers == null) {
        Optional<List<NodeName>> found = discover(loaded);
        if (found.isEmpty()) {
          return 1;
        }
        list.addAll(found.get());
      }
      if (!list.contains(self)) {
        list.add(self);
      }
      Optional<Decision> d = decision(self, list, to);
      if (d.isEmpty()) {
        err.println("muster render: --as " + as + " needs another node: give --peers or --seed");
        return 2;
      }
      PeerView.Snapshot view =
          new PeerView.Snapshot(list, list, false, 1, true, Instant.now(), null, null);
      for (Map.Entry<RenderSettings.Item, String> e : renderer.preview(view, d.get()).entrySet()) {
        PrintWriter out = spec.commandLine().getOut();
        out.println("> " + e.getKey().destination());
        out.print(e.getValue().endsWith("\n") ? e.getValue() : e.getValue() + "\n");
      }
      return 0;
    } catch (IllegalArgumentException e) {
      err.println("muster render: " + e.getMessage());
      return 2;
    } catch (IllegalStateException e) {
      err.println("muster render: a template could not be rendered: " + e.getMessage());
      return 1;
    }
  }

  /** The decision {@code --as} names, empty when a join has nobody to go to. */
  private Optional<Decision> decision(NodeName self, List<NodeName> list, Optional<NodeName> to) {
    String action = as.toLowerCase(java.util.Locale.ROOT);
    if (action.equals("seed")) {
      return Optional.of(new Decision.Seed(self, "dry-run"));
    }
    if (!action.equals("join") && !action.equals("rejoin")) {
      throw new IllegalArgumentException("--as: seed, join or rejoin, got " + as);
    }
    List<NodeName> others = new ArrayList<>(list.stream().filter(n -> !n.equals(self)).toList());
    Optional<NodeName> target = to.or(() -> others.stream().findFirst());
    if (target.isEmpty()) {
      return Optional.empty();
    }
    others.remove(target.get());
    others.add(0, target.get());
    return Optional.of(
        action.equals("join")
            ? new Decision.Join(target.get(), others, "dry-run")
            : new Decision.Rejoin(target.get(), others, "dry-run"));
  }

  /** One discovery, as {@code muster peers}; empty (and why, on stderr) when it failed. */
  private Optional<List<NodeName>> discover(AgentConfig loaded) throws Exception {
    DiscoveryResult result = PeersCommand.once(loaded);
    if (result instanceof DiscoveryResult.Peers p) {
      return Optional.of(p.nodes());
    }
    spec.commandLine()
        .getErr()
        .println(
            "muster render: discovery failed ("
                + ((DiscoveryResult.Failure) result).message()
                + "); give the peers with --peers");
    return Optional.empty();
  }

  private int once(AgentConfig loaded, FileRenderer renderer) throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    Optional<AgentCall.Answer> answer =
        AgentCall.authorized(
            spec,
            loaded,
            "/v1/status",
            "GET",
            HttpRequest.BodyPublishers.noBody(),
            Duration.ofSeconds(10));
    if (answer.isEmpty()) {
      return 1;
    }
    if (answer.get().status() != 200) {
      err.println("muster render: the agent answered " + answer.get().status());
      return 1;
    }
    JsonObject status = answer.get().json();
    JsonObject formation = status.getJsonObject("formation", new JsonObject());
    JsonObject d = formation.getJsonObject("decision");
    if (d == null) {
      err.println(
          "muster render: the agent has no decision yet (waiting for "
              + formation.getString("waiting_for")
              + "); nothing rendered");
      return 1;
    }
    JsonObject discovery = status.getJsonObject("discovery", new JsonObject());
    List<NodeName> list = names(discovery.getJsonArray("peers", new JsonArray()));
    PeerView.Snapshot view =
        new PeerView.Snapshot(
            list,
            list,
            discovery.getBoolean("stale", false),
            discovery.getLong("index", 1L),
            true,
            Instant.now(),
            discovery.getString("last_error"),
            null);
    boolean ok = renderer.render(view, toDecision(d));
    PrintWriter out = spec.commandLine().getOut();
    for (Object o : renderer.status()) {
      JsonObject f = (JsonObject) o;
      out.println(f.getString("destination") + ": " + f.getString("last_result"));
    }
    return ok ? 0 : 1;
  }

  private static Decision toDecision(JsonObject d) {
    NodeName to = NodeName.parse(d.getString("seed"));
    List<NodeName> list = names(d.getJsonArray("peers", new JsonArray()));
    String id = d.getString("cluster_id");
    return switch (d.getString("action")) {
      case "seed" -> new Decision.Seed(to, id);
      case "join" -> new Decision.Join(to, list, id);
      case "rejoin" -> new Decision.Rejoin(to, list, id);
      default -> throw new IllegalArgumentException("unknown action " + d.getString("action"));
    };
  }

  private static List<NodeName> names(JsonArray a) {
    List<NodeName> out = new ArrayList<>();
    for (Object o : a) {
      out.add(NodeName.parse(String.valueOf(o)));
    }
    return out;
  }
}
