package io.muster.cli;

import io.muster.agent.AgentConfig;
import io.muster.agent.SidecarVertx;
import io.muster.config.ConfigException;
import io.muster.config.ConfigProblem;
import io.muster.config.CoreKeys;
import io.muster.config.CoreSettings;
import io.muster.spi.Backend;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.FormationLock;
import io.muster.spi.Formats;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code muster formation ...}: operator actions on the cluster's formation record. */
@Command(
    name = "formation",
    mixinStandardHelpOptions = true,
    description = "Operator actions on the cluster's formation record.",
    subcommands = {FormationCommand.Retire.class})
final class FormationCommand implements Runnable {

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * {@code muster formation retire --cluster-id X --yes}: formation.md invariant 10's break-glass.
   * Once every member of cluster X has lost its data, its durable {@code formed} marker keeps any
   * node from seeding again, by design. Retiring X removes that marker under the formation lock and
   * records who retired it, when and why, in the store (and this command's log), so that a new
   * cluster can form; the store then refuses to have X re-asserted. It refuses while any live
   * registration claims X.
   */
  @Command(
      name = "retire",
      mixinStandardHelpOptions = true,
      description = {
        "Retire a formed cluster whose members all lost their data, so that a new one may form:"
            + " removes its formed marker under the formation lock and records the retirement"
            + " (who, when, why) in the store. Lock backends (etcd, consul) only.",
        "Refused without --yes, while any live registration claims the cluster, or when the"
            + " marker names another cluster."
      })
  static final class Retire implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(Retire.class);

    @Mixin ConfigOption config;

    @Option(names = "--cluster-id", required = true, description = "The cluster id to retire.")
    String clusterId;

    @Option(
        names = "--reason",
        description = "Why, for the record (e.g. a ticket); default: none given.")
    String reason = "none given";

    @Option(names = "--yes", description = "Really retire it (without it, nothing is written).")
    boolean yes;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      AgentConfig loaded = config.load();
      CoreSettings core = loaded.core();
      if (!clusterId.matches("[A-Za-z0-9:@._-]{1,200}")) {
        throw new ConfigException(
            new ConfigProblem(
                "command line",
                "--cluster-id",
                "expected a cluster id (letters, digits and :@._-), got \"" + clusterId + "\""));
      }
      var out = spec.commandLine().getOut();
      var err = spec.commandLine().getErr();
      Vertx vertx = SidecarVertx.create();
      try (Backend backend = loaded.createBackend(vertx)) {
        if (!(backend instanceof FormationLock lock)) {
          throw new ConfigException(
              new ConfigProblem(
                  loaded.config().origin(CoreKeys.BACKEND).orElse("config"),
                  CoreKeys.BACKEND.name(),
                  "expected a lock backend (etcd, consul): "
                      + loaded.factory().name()
                      + " keeps no formed marker to retire"));
        }
        long bound = core.discoveryTimeout().toMillis() + 1000;
        DiscoveryResult found =
            backend
                .discover(core.discoveryTimeout())
                .toCompletableFuture()
                .get(bound, TimeUnit.MILLISECONDS);
        if (!(found instanceof DiscoveryResult.Peers peers)) {
          err.println(
              "muster: cannot tell whether members of "
                  + clusterId
                  + " are live: discovery failed ("
                  + ((DiscoveryResult.Failure) found).message()
                  + "); nothing retired");
          return 1;
        }
        List<NodeName> claimants =
            peers.members().entrySet().stream()
                .filter(e -> e.getValue().equals(clusterId))
                .map(Map.Entry::getKey)
                .sorted()
                .toList();
        if (!claimants.isEmpty()) {
          err.println(
              "muster: refusing to retire "
                  + clusterId
                  + ": live registrations claim it ("
                  + claimants
                  + "); retire only a cluster whose members are all gone");
          return 1;
        }
        Marker marker = lock.readMarker().toCompletableFuture().get(bound, TimeUnit.MILLISECONDS);
        if (!yes) {
          out.println(
              "Would retire cluster "
                  + clusterId
                  + " (the store's marker: "
                  + marker
                  + "). Nothing written: add --yes to retire it.");
          return 2;
        }
        String audit =
            Formats.stamp(
                    new JsonObject()
                        .put("cluster_id", clusterId)
                        .put("retired_at", Instant.now().toString())
                        .put("by", operator())
                        .put("reason", reason))
                .encode();
        FormationLock.LockOutcome outcome =
            lock.acquire().toCompletableFuture().get(5, TimeUnit.MINUTES);
        if (!(outcome instanceof FormationLock.LockOutcome.Acquired a)) {
          err.println(
              "muster: could not take the formation lock ("
                  + ((FormationLock.LockOutcome.NotAcquired) outcome).reason()
                  + "); nothing retired");
          return 1;
        }
        Marker removed;
        try {
          removed =
              lock.retire(clusterId, audit).toCompletableFuture().get(bound, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          Throwable c = e.getCause() == null ? e : e.getCause();
          err.println("muster: " + c.getMessage());
          return 1;
        } finally {
          a.lock().release().toCompletableFuture().get(bound, TimeUnit.MILLISECONDS);
        }
        LOG.warn(
            "Cluster {} RETIRED by {} (reason: {}); removed marker: {}. A node that decides now"
                + " may seed a new cluster; re-assertion of {} is refused",
            clusterId,
            operator(),
            reason,
            removed,
            clusterId);
        out.println(
            "Retired cluster " + clusterId + " (removed: " + removed + "); record: " + audit);
        return 0;
      } finally {
        vertx.close();
      }
    }

    private static String operator() {
      String user = System.getProperty("user.name", "?");
      try {
        return user + "@" + InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        return user;
      }
    }
  }
}
