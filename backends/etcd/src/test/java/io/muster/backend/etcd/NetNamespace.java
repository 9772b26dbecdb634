package io.muster.backend.etcd;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assumptions;

/**
 * Test fixture: a network namespace of its own joined to the host by a veth pair on a private /30
 * ({@code 10.213.77.4k+1} on the host, {@code +2} inside), with {@code lo} up inside. Traffic stays
 * between the host and this namespace: the namespace has no other route, and a blackhole route for
 * the /30 on the host keeps packets for it from following the host's default route while the link
 * is cut. {@link #cut()} takes the host end down, so packets in both directions vanish silently (a
 * partition, not a refused connection); {@link #heal()} brings it back. Needs root and a kernel
 * that allows {@code ip netns add}; {@link #createOrSkip()} skips the test with the reason where it
 * does not. Slot {@code k} is owned through a file lock, which dies with its process, so a slot
 * left behind by a killed JVM is tidied by the next owner; {@link #close()} deletes everything.
 */
public final class NetNamespace implements AutoCloseable {

  private static final int SLOTS = 64;
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

  private final int slot;
  private final FileChannel lockFile;
  private final FileLock lock;

  private NetNamespace(int slot, FileChannel lockFile, FileLock lock) {
    this.slot = slot;
    this.lockFile = lockFile;
    this.lock = lock;
  }

  /** Creates one, or aborts the calling test (reported as skipped) saying why it cannot. */
  public static NetNamespace createOrSkip() throws IOException, InterruptedException {
    try {
      return create();
    } catch (Refused e) {
      Assumptions.abort("network namespaces are not available here: " + e.getMessage());
      throw e; // not reached
    }
  }

  /** Creates the namespace and veth pair; {@link Refused} when the machine does not allow it. */
  public static NetNamespace create() throws IOException, InterruptedException {
    if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      throw new Refused("not Linux");
    }
    for (int k = 0; k < SLOTS; k++) {
      Path path = Path.of(System.getProperty("java.io.tmpdir"), "muster-netns-" + k + ".lock");
      FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null; // held by another NetNamespace in this JVM
      }
      if (l == null) {
        ch.close();
        continue;
      }
      NetNamespace ns = new NetNamespace(k, ch, l);
      try {
        ns.tidy(); // a previous owner of this slot may have been killed before its close()
        ns.setUp();
        return ns;
      } catch (IOException | RuntimeException | InterruptedException e) {
        ns.close();
        throw e;
      }
    }
    throw new IOException("all " + SLOTS + " namespace slots are taken");
  }

  private void setUp() throws IOException, InterruptedException {
    Result add = run("ip", "netns", "add", name());
    if (!add.ok()) {
      throw new Refused("ip netns add " + name() + ": " + add.output().strip());
    }
    ip("link", "add", hostDevice(), "type", "veth", "peer", "name", nsDevice(), "netns", name());
    ip("route", "add", "blackhole", subnet(), "metric", "32000");
    ip("addr", "add", hostAddress() + "/30", "dev", hostDevice());
    ip("link", "set", hostDevice(), "up");
    inside("ip", "addr", "add", nsAddress() + "/30", "dev", nsDevice());
    inside("ip", "link", "set", nsDevice(), "up");
    inside("ip", "link", "set", "lo", "up");
  }

  public String name() {
    return "muster-net-" + slot;
  }

  private String hostDevice() {
    return "mnet" + slot + "h";
  }

  private String nsDevice() {
    return "mnet" + slot + "n";
  }

  private String subnet() {
    return "10.213.77." + (4 * slot) + "/30";
  }

  /** The host's end of the veth pair: a server listening here is reachable from inside. */
  public String hostAddress() {
    return "10.213.77." + (4 * slot + 1);
  }

  /** The namespace's end of the veth pair. */
  public String nsAddress() {
    return "10.213.77." + (4 * slot + 2);
  }

  /** The command line prefix that runs a command inside the namespace. */
  public List<String> execPrefix() {
    return List.of("ip", "netns", "exec", name());
  }

  /** Runs a command inside the namespace, bounded by {@code timeout}; its output and status. */
  public Result runInside(Duration timeout, String... cmd)
      throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(execPrefix());
    all.addAll(List.of(cmd));
    return run(all, timeout);
  }

  /** Packets between the host and the namespace are dropped from now on, silently. */
  public void cut() throws IOException, InterruptedException {
    ip("link", "set", hostDevice(), "down");
    // With the host end down its connected route is gone: the blackhole must be what is left.
    // The kernel answers a lookup that hits a blackhole with EINVAL; any route it does give
    // (e.g. via the default gateway) would carry the namespace's traffic off this machine.
    Result route = run("ip", "route", "get", nsAddress());
    if (route.ok() && !route.output().strip().startsWith("blackhole")) {
      heal();
      throw new IllegalStateException(
          "after the cut " + nsAddress() + " would be routed elsewhere: " + route.output());
    }
  }

  public void heal() throws IOException, InterruptedException {
    ip("link", "set", hostDevice(), "up");
  }

  /** Deletes the namespace (and with it the veth pair) and the blackhole route; never throws. */
  @Override
  public void close() {
    try {
      tidy();
    } catch (IOException | RuntimeException e) {
      // the lock is released below; the next owner of this slot tidies again
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        lock.release();
        lockFile.close();
      } catch (IOException e) {
        // closing the channel releases the lock anyway
      }
    }
  }

  /** Removes whatever of this slot exists; missing parts are fine. */
  private void tidy() throws IOException, InterruptedException {
    run("ip", "netns", "delete", name());
    run("ip", "link", "delete", hostDevice());
    run("ip", "route", "delete", "blackhole", subnet());
  }

  private void ip(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ip"));
    cmd.addAll(List.of(args));
    check(run(cmd, COMMAND_TIMEOUT), cmd);
  }

  private void inside(String... args) throws IOException, InterruptedException {
    check(runInside(COMMAND_TIMEOUT, args), List.of(args));
  }

  private static void check(Result r, List<String> cmd) throws IOException {
    if (!r.ok()) {
      throw new IOException(String.join(" ", cmd) + " failed: " + r.output().strip());
    }
  }

  private static Result run(String... cmd) throws IOException, InterruptedException {
    return run(List.of(cmd), COMMAND_TIMEOUT);
  }

  private static Result run(List<String> cmd, Duration timeout)
      throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new Refused("cannot run " + cmd.get(0) + ": " + e.getMessage());
    }
    p.getOutputStream().close();
    // Read while it runs, so a long output cannot fill the pipe and stall it.
    CompletableFuture<String> output =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                return "(output unreadable: " + e.getMessage() + ")";
              }
            });
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      return new Result(
          -1, String.join(" ", cmd) + " timed out after " + timeout.toMillis() + " ms");
    }
    try {
      return new Result(p.exitValue(), output.get(5, TimeUnit.SECONDS));
    } catch (ExecutionException | TimeoutException e) {
      return new Result(p.exitValue(), "(output unreadable: " + e + ")");
    }
  }

  /** A command's exit status and combined output. */
  public record Result(int status, String output) {
    public boolean ok() {
      return status == 0;
    }
  }

  /** The machine does not allow network namespaces (not root, no ip tool, a kernel refusing). */
  public static final class Refused extends IOException {
    Refused(String why) {
      super(why);
    }
  }
}
