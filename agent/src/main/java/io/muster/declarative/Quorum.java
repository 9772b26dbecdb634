package io.muster.declarative;

import java.util.Optional;

/**
 * Advice on a cluster's size: Khepri (RabbitMQ 4.x's metadata store) and quorum queues need a
 * majority of their members up (the clustering guide and the Khepri page), so an even size buys no
 * extra tolerance over the odd size below it, and two nodes tolerate no failure at all.
 */
public final class Quorum {

  private Quorum() {}

  /** Why {@code size} nodes is a poor choice, if it is; {@code what} says where it was named. */
  public static Optional<String> advice(int size, String what) {
    if (size == 2) {
      return Optional.of(
          what
              + " names 2 nodes: a majority of 2 is 2, so quorum queues and Khepri stop when either"
              + " node is down; use 3 (tolerates 1 down) or 1");
    }
    if (size > 2 && size % 2 == 0) {
      int majority = size / 2 + 1;
      return Optional.of(
          what
              + " names "
              + size
              + " nodes: a majority is "
              + majority
              + ", so it tolerates "
              + (size - majority)
              + " down, no more than "
              + (size - 1)
              + " nodes would; an odd size (3, 5, 7) gets the most from each node");
    }
    return Optional.empty();
  }
}
