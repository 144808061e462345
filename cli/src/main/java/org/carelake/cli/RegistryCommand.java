package org.carelake.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.carelake.core.CareLakeException;
import org.carelake.training.registry.ModelRegistry;
import org.carelake.training.registry.ModelVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code registry list MODEL}: registered versions with their metrics and input versions. */
@Command(name = "registry", mixinStandardHelpOptions = true, description = "List registered versions of a model.")
public final class RegistryCommand implements Callable<Integer> {

  @Mixin GlobalOptions global;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "MODEL", defaultValue = "incident-hypertension-5y", description = "Model name (default: ${DEFAULT-VALUE}).")
  String model;

  @Override
  public Integer call() {
    CliContext context = new CliContext(global);
    var out = spec.commandLine().getOut();
    ModelRegistry registry = new ModelRegistry(context.spark(), context.lakehouse());
    List<ModelVersion> versions = registry.versions(model);
    if (versions.isEmpty()) {
      List<String> models = registry.models();
      throw CareLakeException.badInput("No version of model '" + model + "' is registered in " + registry.root() + ".",
          models.isEmpty() ? "train one first: ./carelake train --cohort FILE (the model is named after the cohort)."
              : "name a registered model: " + String.join(", ", models) + ".");
    }
    for (ModelVersion v : versions) {
      Map<?, ?> lineage = (Map<?, ?>) v.card().get("lineage");
      out.printf("%s v%d  registered %s  AUROC %s  inputs %s%n", v.model(), v.version(), v.card().get("registered_at"),
          v.aurocTestText(),
          lineage.get("input_delta_versions"));
    }
    out.flush();
    return 0;
  }
}
