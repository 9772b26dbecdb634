package io.muster.backend.etcd;

import io.etcd.jetcd.ByteSequence;
import io.muster.spi.NodeName;
import java.nio.charset.StandardCharsets;

/**
 * The etcd keys, exactly as RabbitMQ's plugin documents them: presence keys under {@code
 * /rabbitmq/discovery/{prefix}/clusters/{cluster}/nodes/}, the lock at {@code
 * /rabbitmq/locks/{prefix}/clusters/{cluster}/registration}. The formation marker lives beside the
 * presence keys (outside {@code nodes/}, so discovery never reads it).
 */
record EtcdPaths(String keyPrefix, String clusterName) {

  String nodesPrefix() {
    return "/rabbitmq/discovery/" + keyPrefix + "/clusters/" + clusterName + "/nodes/";
  }

  String nodeKey(NodeName node) {
    return nodesPrefix() + node;
  }

  String lockName() {
    return "/rabbitmq/locks/" + keyPrefix + "/clusters/" + clusterName + "/registration";
  }

  String markerKey() {
    return "/rabbitmq/discovery/" + keyPrefix + "/clusters/" + clusterName + "/formation";
  }

  /** Where {@code muster formation retire} records a retired cluster id (no lease: durable). */
  String retiredKey(String clusterId) {
    return "/rabbitmq/discovery/"
        + keyPrefix
        + "/clusters/"
        + clusterName
        + "/retired/"
        + clusterId;
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  static String text(ByteSequence b) {
    return b.toString(StandardCharsets.UTF_8);
  }
}
