package io.muster.deploy;

import io.muster.backend.etcd.EtcdCluster;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's real single-member etcd and its {@link RabbitFormations} on a new {@link
 * RabbitHost} using it, with the class-data archive made; both stopped after all its tests.
 * Register it with {@code @RegisterExtension}, as every RabbitMQ end-to-end class does.
 */
final class RabbitFormationsExtension implements BeforeAllCallback, AfterAllCallback {

  private final EtcdCluster etcd = EtcdCluster.single();
  private RabbitFormations formations;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    etcd.beforeAll(context);
    formations = RabbitFormations.onNewHost(etcd.clientUrl(0));
    formations.archiveClasses();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      if (formations != null) {
        formations.close();
      }
    } finally {
      etcd.afterAll(context);
    }
  }

  RabbitFormations get() {
    return formations;
  }

  /** The etcd's client URL ({@code http://127.0.0.1:P}). */
  String etcdUrl() {
    return etcd.clientUrl(0);
  }
}
