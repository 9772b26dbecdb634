package io.muster.declarative;

import io.muster.spi.NodeName;

/**
 * Gospel {@code reset} (the Clusterer's README: "this will apply every time the cluster config is
 * changed and applied"): every node the config lists whose membership was decided at an older
 * version is reset, formed or not, and the cluster forms anew at the new version.
 */
public final class GospelReset {

  private GospelReset() {}

  /**
   * Whether {@code self}, whose membership was decided at config version {@code decidedAt} (0: not
   * under a declarative config), must be reset under {@code spec}. A node the config does not list
   * is left as it is.
   */
  public static boolean outdated(ClusterSpec spec, NodeName self, long decidedAt) {
    return spec.gospel() instanceof ClusterSpec.Reset
        && spec.nodes().containsKey(self)
        && decidedAt < spec.version();
  }

  /**
   * Why a node of cluster {@code clusterId}, decided at {@code decidedAt}, is reset under {@code
   * spec}, for the log and status.
   */
  public static String why(ClusterSpec spec, String clusterId, long decidedAt) {
    return "cluster config version "
        + spec.version()
        + " has gospel reset, which resets every node; this node's cluster "
        + clusterId
        + " was formed at "
        + (decidedAt == 0 ? "no cluster config version" : "version " + decidedAt);
  }
}
