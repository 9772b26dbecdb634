package io.muster.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Stopping a process together with everything it started, so nothing is left orphaned. */
public final class Processes {

  private Processes() {}

  /**
   * Asks {@code root} and its descendants to stop (SIGTERM), waits up to {@code grace}, then kills
   * what is left (SIGKILL). Descendants are listed first: once the root is gone its children are
   * re-parented and could no longer be found.
   */
  public static void killTree(ProcessHandle root, Duration grace) {
    killTrees(List.of(root), grace);
  }

  /**
   * {@link #killTree} for several roots at once: every live root and its descendants get SIGTERM
   * together and share one {@code grace}, then whatever is left gets SIGKILL.
   */
  public static void killTrees(Collection<ProcessHandle> roots, Duration grace) {
    List<ProcessHandle> all = new ArrayList<>();
    for (ProcessHandle root : roots) {
      if (root.isAlive()) {
        all.addAll(root.descendants().toList());
        all.add(root);
      }
    }
    all.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + grace.toNanos();
    for (ProcessHandle h : all) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        try {
          h.onExit().get(left, TimeUnit.NANOSECONDS);
        } catch (Exception e) {
          // still running: killed below
        }
      }
    }
    all.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }
}
