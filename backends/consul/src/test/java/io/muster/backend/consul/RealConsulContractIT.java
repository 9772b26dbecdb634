package io.muster.backend.consul;

import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * {@link ConsulContract} against a real Consul: runs when {@code CONSUL_HTTP_ADDR} is set ({@code
 * host:port} or a URL; {@code CONSUL_HTTP_TOKEN} if ACLs are on), reported as skipped otherwise.
 */
@EnabledIfEnvironmentVariable(named = "CONSUL_HTTP_ADDR", matches = ".+")
class RealConsulContractIT extends ConsulContract {

  @Override
  RawConsul consul() {
    return new RawConsul(System.getenv("CONSUL_HTTP_ADDR"), System.getenv("CONSUL_HTTP_TOKEN"));
  }
}
