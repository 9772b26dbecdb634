package io.muster.render;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * What a rendered file is written with besides its text, as consul-template's {@code perms}, {@code
 * user}, {@code group} and {@code backup}: an explicit mode (else the file keeps its own, and a new
 * one gets 0644), an owner and group (set only when the agent runs as root: nobody else may give a
 * file away), and one backup of the previous content ({@code DESTINATION.bak}).
 */
public record FileAttributes(
    Optional<Set<PosixFilePermission>> mode,
    Optional<String> owner,
    Optional<String> group,
    boolean backup) {

  public static final FileAttributes DEFAULTS =
      new FileAttributes(Optional.empty(), Optional.empty(), Optional.empty(), false);

  public FileAttributes {
    mode = mode.map(Set::copyOf);
  }

  /** The key's parser: three octal digits, a leading 0 allowed (0640, 640). */
  static String parseMode(String raw) {
    if (!raw.matches("0?[0-7]{3}")) {
      throw new IllegalArgumentException("an octal file mode of three digits, e.g. 0640");
    }
    return raw;
  }

  /** The permissions an octal mode such as 0640 stands for. */
  static Set<PosixFilePermission> permissions(String octal) {
    int bits = Integer.parseInt(octal, 8);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
      PosixFilePermission.OWNER_READ
    };
    Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
    for (int i = 0; i < order.length; i++) {
      if ((bits & (1 << i)) != 0) {
        out.add(order[i]);
      }
    }
    return out;
  }

  /** The key's parser for owners and groups: a POSIX account name, or a numeric id. */
  static String parseAccount(String raw) {
    if (!raw.matches("[A-Za-z_][A-Za-z0-9_.-]{0,31}|[0-9]{1,10}")) {
      throw new IllegalArgumentException("a user or group name, or a numeric id");
    }
    return raw;
  }

  /** Whether the owner and group exist on this machine; the first that does not, if any. */
  Optional<String> unknownAccount() {
    var lookup = FileSystems.getDefault().getUserPrincipalLookupService();
    try {
      if (owner.isPresent()) {
        lookup.lookupPrincipalByName(owner.get());
      }
    } catch (UserPrincipalNotFoundException e) {
      return Optional.of("user " + owner.get());
    } catch (IOException e) {
      return Optional.of("user " + owner.get() + " (" + e.getMessage() + ")");
    }
    try {
      if (group.isPresent()) {
        lookup.lookupPrincipalByGroupName(group.get());
      }
    } catch (UserPrincipalNotFoundException e) {
      return Optional.of("group " + group.get());
    } catch (IOException e) {
      return Optional.of("group " + group.get() + " (" + e.getMessage() + ")");
    }
    return Optional.empty();
  }

  /** Whether owner or group is asked for. */
  boolean changesOwnership() {
    return owner.isPresent() || group.isPresent();
  }

  /** Gives {@code file} the owner and group asked for, if any (the caller runs as root). */
  void chown(Path file) throws IOException {
    var lookup = file.getFileSystem().getUserPrincipalLookupService();
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (owner.isPresent()) {
      UserPrincipal user = lookup.lookupPrincipalByName(owner.get());
      view.setOwner(user);
    }
    if (group.isPresent()) {
      GroupPrincipal g = lookup.lookupPrincipalByGroupName(group.get());
      view.setGroup(g);
    }
  }

  /** The agent's uid (-1 when it cannot be told): owner and group are set only by uid 0. */
  static int uid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException | ClassCastException e) {
      return -1;
    }
  }
}
