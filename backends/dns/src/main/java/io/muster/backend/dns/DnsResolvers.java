package io.muster.backend.dns;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Name;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SimpleResolver;

/** dnsjava's resolver and search path as the DNS settings describe them. */
final class DnsResolvers {

  private DnsResolvers() {}

  /**
   * Each server gets the query time-out; the whole (servers tried in order) gets time-out x
   * servers. Server names are resolved here, on the first discovery that needs the resolver (and
   * again on each later one until they resolve), so a name that does not resolve yet is a failed
   * discovery, not a dead agent.
   */
  static Resolver resolver(DnsSettings s) {
    ExtendedResolver ext;
    if (s.servers().isEmpty()) {
      ext = new ExtendedResolver();
    } else {
      List<Resolver> each = new ArrayList<>();
      for (InetSocketAddress a : s.servers()) {
        InetSocketAddress resolved = new InetSocketAddress(a.getHostString(), a.getPort());
        if (resolved.isUnresolved()) {
          throw new IllegalStateException("DNS server " + a.getHostString() + " does not resolve");
        }
        each.add(new SimpleResolver(resolved));
      }
      ext = new ExtendedResolver(each);
      ext.setLoadBalance(false);
    }
    ext.setRetries(1);
    for (Resolver r : ext.getResolvers()) {
      r.setTimeout(s.timeout());
    }
    ext.setTimeout(s.timeout().multipliedBy(Math.max(1, ext.getResolvers().length)));
    return ext;
  }

  /** The search domains: the configured ones, else the system's when no server is set. */
  static List<Name> searchPath(DnsSettings s) {
    List<Name> out = new ArrayList<>();
    if (!s.search().isEmpty()) {
      for (String d : s.search()) {
        out.add(Name.fromConstantString(d.endsWith(".") ? d : d + "."));
      }
    } else if (s.servers().isEmpty()) {
      out.addAll(ResolverConfig.getCurrentConfig().searchPath());
    }
    return out;
  }
}
