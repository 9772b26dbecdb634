package io.muster.formation.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.AccessTarget;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.muster.formation.engine.FormationEngine;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The formation core is deterministic: it imports nothing from Vert.x or Netty, starts no thread,
 * uses no executor or lock, never sleeps or waits, reads no clock and draws no randomness of its
 * own. Checked twice: on the core package's dependencies, and on every piece of code the core can
 * reach through calls (the pure helpers it shares with the driver, such as the rules, {@code
 * PeerView.Snapshot} and {@code Backoff}), stopping at interfaces the driver implements (the ports
 * such as {@link CoreLog}). And the simulator drives the very classes production runs.
 */
class CoreArchitectureTest {

  private static final String CORE = "io.muster.formation.core";

  /** Packages no code reachable from the core may touch. */
  private static final List<String> FORBIDDEN_PACKAGES =
      List.of(
          "io.vertx.",
          "io.netty.",
          "java.util.concurrent.",
          "java.net.",
          "java.nio.file.",
          "java.nio.channels.",
          "org.slf4j.",
          "ch.qos.logback.");

  /** Classes no code reachable from the core may touch. */
  private static final Set<String> FORBIDDEN_CLASSES =
      Set.of(
          "java.lang.Thread",
          "java.lang.ThreadLocal",
          "java.lang.Runtime",
          "java.lang.ProcessBuilder",
          "java.time.Clock",
          "java.util.Random",
          "java.util.Timer",
          "java.io.File",
          "java.io.FileInputStream",
          "java.io.FileOutputStream",
          "java.io.RandomAccessFile");

  /** Methods no code reachable from the core may call: clocks, sleeps, waits, ambient entropy. */
  private static final Set<String> FORBIDDEN_METHODS =
      Set.of(
          "java.lang.System.currentTimeMillis",
          "java.lang.System.nanoTime",
          "java.lang.System.getenv",
          "java.lang.System.getProperty",
          "java.lang.Object.wait",
          "java.lang.Object.notify",
          "java.lang.Object.notifyAll",
          "java.lang.Math.random",
          "java.lang.StrictMath.random",
          "java.time.Instant.now",
          "java.time.LocalDateTime.now",
          "java.time.OffsetDateTime.now",
          "java.time.ZonedDateTime.now",
          "java.time.LocalDate.now",
          "java.util.UUID.randomUUID");

  private static JavaClasses production;
  private static JavaClasses all;

  @BeforeAll
  static void importClasses() {
    production =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.muster");
    all = new ClassFileImporter().importPackages("io.muster");
  }

  @Test
  void corePackageDependsOnNoRuntimeMachinery() {
    noClasses()
        .that()
        .resideInAPackage(CORE + "..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.vertx..",
            "io.netty..",
            "java.util.concurrent..",
            "java.net..",
            "java.nio.file..",
            "org.slf4j..",
            "io.etcd..",
            "software.amazon..",
            "org.xbill..")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("java.lang.Thread")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("java.time.Clock")
        .because("the core is a deterministic state machine the simulator drives (issue 17)")
        .check(production);
  }

  @Test
  void noCodeReachableFromTheCoreSleepsReadsAClockOrStartsAThread() {
    Set<JavaCodeUnit> reached = reachableFromCore();
    // the walk must really cover the helpers, or the check below proves nothing
    Set<String> owners = new TreeSet<>();
    reached.forEach(u -> owners.add(u.getOwner().getName()));
    assertThat(owners)
        .contains(
            CORE + ".FormationCore",
            CORE + ".LockPath",
            CORE + ".ContactPointPath",
            "io.muster.formation.LockRule",
            "io.muster.formation.ContactPointRule",
            "io.muster.formation.PeerView$Snapshot",
            "io.muster.spi.support.Backoff");

    List<String> violations = new ArrayList<>();
    for (JavaCodeUnit unit : reached) {
      for (JavaAccess<?> access : accessesOf(unit)) {
        String why = forbidden(access.getTarget());
        if (why != null) {
          violations.add(access.getDescription() + " (" + why + ")");
        }
      }
    }
    assertThat(violations).as("code reachable from the formation core").isEmpty();
  }

  @Test
  void theWalkWouldCatchAClockRead() {
    // The driver reads the wall clock; walking from it must say so (the checker has power).
    JavaClass driver = production.get(FormationEngine.class);
    List<String> found = new ArrayList<>();
    for (JavaCodeUnit unit : driver.getCodeUnits()) {
      for (JavaAccess<?> access : accessesOf(unit)) {
        String why = forbidden(access.getTarget());
        if (why != null) {
          found.add(why);
        }
      }
    }
    assertThat(found).isNotEmpty();
  }

  @Test
  void productionAndSimulatorRunTheSameCoreClasses() {
    JavaClass core = all.get(FormationCore.class);
    Set<String> users = new TreeSet<>();
    core.getDirectDependenciesToSelf().forEach(d -> users.add(d.getOriginClass().getName()));
    assertThat(users).contains(FormationEngine.class.getName(), "io.muster.simulation.Sim$Agent");

    // no test class shadows, extends or re-implements a core class
    Set<String> coreNames = new TreeSet<>();
    production.stream()
        .filter(c -> c.getPackageName().equals(CORE) && c.isTopLevelClass())
        .forEach(c -> coreNames.add(c.getSimpleName()));
    List<String> shadows = new ArrayList<>();
    for (JavaClass c : all) {
      boolean test = production.stream().noneMatch(p -> p.getName().equals(c.getName()));
      if (!test) {
        continue;
      }
      String topLevel = c.getName().contains("$") ? c.getName().split("\\$")[0] : c.getName();
      if (c.getPackageName().equals(CORE) && !topLevel.endsWith("Test")) {
        shadows.add(c.getName() + " lives in the core package");
      }
      if (!c.getPackageName().equals(CORE)
          && c.isTopLevelClass()
          && coreNames.contains(c.getSimpleName())) {
        shadows.add(c.getName() + " has a core class's name");
      }
      for (JavaClass sup : c.getAllRawSuperclasses()) {
        if (sup.getPackageName().equals(CORE)) {
          shadows.add(c.getName() + " extends " + sup.getName());
        }
      }
    }
    assertThat(shadows).isEmpty();

    // and at run time both load it from the main classes
    assertThat(FormationCore.class.getProtectionDomain().getCodeSource().getLocation())
        .isEqualTo(FormationEngine.class.getProtectionDomain().getCodeSource().getLocation());
  }

  /** Every code unit the core can run: its own, and what they call, transitively, in io.muster. */
  private static Set<JavaCodeUnit> reachableFromCore() {
    Set<JavaCodeUnit> reached = new LinkedHashSet<>();
    Deque<JavaCodeUnit> todo = new ArrayDeque<>();
    production.stream()
        .filter(c -> c.getPackageName().equals(CORE))
        .forEach(c -> todo.addAll(c.getCodeUnits()));
    while (!todo.isEmpty()) {
      JavaCodeUnit unit = todo.pop();
      if (!reached.add(unit)) {
        continue;
      }
      // lambdas in a reached method run as synthetic methods of its class
      for (JavaCodeUnit other : unit.getOwner().getCodeUnits()) {
        if (other.getName().startsWith("lambda$" + unit.getName() + "$")) {
          todo.push(other);
        }
      }
      for (JavaAccess<?> access : accessesOf(unit)) {
        AccessTarget target = access.getTarget();
        JavaClass owner = target.getOwner();
        if (!owner.getName().startsWith("io.muster.") || owner.isInterface()) {
          continue; // library code is judged by the forbidden lists; interfaces are ports
        }
        Optional<? extends JavaMember> member = resolve(target);
        if (member.isPresent() && member.get() instanceof JavaCodeUnit u) {
          todo.push(u);
        }
      }
    }
    return reached;
  }

  private static Optional<? extends JavaMember> resolve(AccessTarget target) {
    if (target instanceof AccessTarget.CodeUnitCallTarget call) {
      return call.resolveMember();
    }
    if (target instanceof AccessTarget.CodeUnitReferenceTarget ref) {
      return ref.resolveMember();
    }
    return Optional.empty();
  }

  private static Set<JavaAccess<?>> accessesOf(JavaCodeUnit unit) {
    Set<JavaAccess<?>> accesses = new LinkedHashSet<>(unit.getAccessesFromSelf());
    accesses.addAll(unit.getMethodReferencesFromSelf());
    accesses.addAll(unit.getConstructorReferencesFromSelf());
    return accesses;
  }

  /** Why touching {@code target} breaks determinism, or null. */
  private static String forbidden(AccessTarget target) {
    String owner = target.getOwner().getName();
    for (String p : FORBIDDEN_PACKAGES) {
      if (owner.startsWith(p)) {
        return "package " + p + "*";
      }
    }
    if (FORBIDDEN_CLASSES.contains(owner)) {
      return "class " + owner;
    }
    String method = owner + "." + target.getName();
    if (FORBIDDEN_METHODS.contains(method)) {
      return "method " + method;
    }
    return null;
  }
}
