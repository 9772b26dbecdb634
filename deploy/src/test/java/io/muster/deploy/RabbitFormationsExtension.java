package io.muster.deploy;

import io.muster.backend.etcd.EtcdCluster;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's {@link RabbitFormations} on a new {@link RabbitHost}, with the class-data archive
 * made, on the given etcd; closed after all its tests. Register it after the etcd (both with
 * {@code @RegisterExtension} and {@code @Order}), as every RabbitMQ end-to-end class does.
 */
final class RabbitFormationsExtension implements BeforeAllCallback, AfterAllCallback {

  private final EtcdCluster etcd;
  private RabbitFormations formations;

  RabbitFormationsExtension(EtcdCluster etcd) {
    this.etcd = etcd;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    formations = RabbitFormations.onNewHost(etcd.clientUrl(0));
    formations.archiveClasses();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (formations != null) {
      formations.close();
    }
  }

  RabbitFormations get() {
    return formations;
  }
}
