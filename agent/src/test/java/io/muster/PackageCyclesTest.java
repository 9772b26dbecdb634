package io.muster;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The agent's packages form no cycle: each depends only on packages below it, so a package can be
 * read, tested and changed without the ones that use it (issue 21).
 */
class PackageCyclesTest {

  @Test
  void theAgentsPackagesAreFreeOfCycles() {
    JavaClasses classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.muster");
    slices().matching("io.muster.(**)").should().beFreeOfCycles().check(classes);
  }
}
