package io.muster.spi;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.DiscoveryResult.Kind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class BackendFailureTest {

  @Test
  void unwrapsTheFuturesWrappersOnly() {
    IOException io = new IOException("boom");
    assertThat(BackendFailure.unwrap(new CompletionException(new ExecutionException(io))))
        .isSameAs(io);
    RuntimeException plain = new RuntimeException(io);
    assertThat(BackendFailure.unwrap(plain)).isSameAs(plain);
  }

  @Test
  void classifiesWhatAnyTransportThrows() {
    assertThat(BackendFailure.classify(new CompletionException(new TimeoutException())))
        .isEqualTo(Kind.TIMEOUT);
    assertThat(BackendFailure.classify(new IOException("x", new ConnectException("refused"))))
        .isEqualTo(Kind.UNREACHABLE);
    assertThat(BackendFailure.classify(new UnknownHostException("etcd.invalid")))
        .isEqualTo(Kind.UNREACHABLE);
    assertThat(BackendFailure.classify(new BackendFailure(Kind.AUTH, "refused")))
        .isEqualTo(Kind.AUTH);
    assertThat(BackendFailure.classify(new IllegalStateException("?"))).isEqualTo(Kind.OTHER);
  }

  @Test
  void scrubsTheSecretAndCutsLongTextButNeverRevealsAShortSecret() {
    assertThat(BackendFailure.scrub("token s3cr3t-t0ken refused", Optional.of("s3cr3t-t0ken")))
        .isEqualTo("token ****** refused");
    assertThat(BackendFailure.scrub("a b c", Optional.of("b"))).isEqualTo("a b c");
    assertThat(BackendFailure.scrub("x".repeat(400), Optional.empty()))
        .hasSize(303)
        .endsWith("...");
  }

  @Test
  void isADiscoveryAnswerWithItsKindAndSafeMessage() {
    DiscoveryResult.Failure f = new BackendFailure(Kind.BAD_RESPONSE, "etcd: HTTP 500").asResult();
    assertThat(f.kind()).isEqualTo(Kind.BAD_RESPONSE);
    assertThat(f.message()).isEqualTo("etcd: HTTP 500");
  }
}
