package io.muster.backend.consul;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link ConsulContract} against the emulator. */
class ConsulEmulatorContractIT extends ConsulContract {

  private static ConsulEmulator emulator;

  @BeforeAll
  static void start() throws Exception {
    emulator = new ConsulEmulator(null).start();
  }

  @AfterAll
  static void stop() {
    emulator.close();
  }

  @Override
  RawConsul consul() {
    return new RawConsul(emulator.address(), null);
  }
}
