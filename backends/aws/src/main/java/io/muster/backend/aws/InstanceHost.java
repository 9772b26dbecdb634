package io.muster.backend.aws;

import java.util.List;
import java.util.Locale;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * The host part of a node name for an instance: its private DNS name, its private IP with {@code
 * use_private_ip}, or what {@code hostname_path} points at in the instance description (names as in
 * the EC2 API, e.g. {@code networkInterfaceSet, 2, association, publicDnsName}; list indexes from
 * 1). Empty when the instance has none.
 */
final class InstanceHost {

  private InstanceHost() {}

  static String of(Instance i, AwsSettings s) {
    if (!s.hostnamePath().isEmpty()) {
      Object v = walk(i, s.hostnamePath());
      return v == null ? "" : v.toString();
    }
    String h = s.usePrivateIp() ? i.privateIpAddress() : i.privateDnsName();
    return h == null ? "" : h;
  }

  static Object walk(Object start, List<String> path) {
    Object current = start;
    for (String segment : path) {
      if (current instanceof List<?> list) {
        int index;
        try {
          index = Integer.parseInt(segment.trim());
        } catch (NumberFormatException e) {
          return null;
        }
        if (index < 1 || index > list.size()) {
          return null;
        }
        current = list.get(index - 1);
      } else if (current instanceof SdkPojo pojo) {
        current = field(pojo, segment.trim());
      } else {
        return null;
      }
      if (current == null) {
        return null;
      }
    }
    return current;
  }

  private static Object field(SdkPojo pojo, String name) {
    String wanted = name.toLowerCase(Locale.ROOT);
    for (SdkField<?> f : pojo.sdkFields()) {
      String location = f.locationName() == null ? "" : f.locationName().toLowerCase(Locale.ROOT);
      String member = f.memberName() == null ? "" : f.memberName().toLowerCase(Locale.ROOT);
      if (wanted.equals(location) || wanted.equals(member)) {
        return f.getValueOrDefault(pojo);
      }
    }
    return null;
  }
}
