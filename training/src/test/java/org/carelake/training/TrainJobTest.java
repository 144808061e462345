package org.carelake.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.carelake.training.model.CohortModelTrainer;
import org.carelake.training.registry.ModelVersion;
import org.junit.jupiter.api.Test;

/** When {@code train} has nothing to do (the run itself is covered end to end by DemoEndToEndTest). */
class TrainJobTest {

  private static ModelVersion version(int n, String trainingSetId, String algorithm, String split) {
    return new ModelVersion("m", n, Path.of("registry", "m", "v" + n), Map.of("algorithm", algorithm, "split", split,
        "lineage", Map.of("training_set_id", trainingSetId)));
  }

  private static ModelVersion version(int n, String trainingSetId) {
    return version(n, trainingSetId, CohortModelTrainer.ALGORITHM, CohortModelTrainer.SPLIT_DESCRIPTION);
  }

  @Test
  void upToDateOnlyWhenTheLatestVersionWasTrainedOnThisTrainingSetTheWayThisReleaseTrains() {
    assertThat(TrainJob.upToDate(List.of(), "ts-a")).as("nothing registered yet").isEmpty();
    assertThat(TrainJob.upToDate(List.of(version(1, "ts-a")), "ts-a")).map(ModelVersion::version).contains(1);
    assertThat(TrainJob.upToDate(List.of(version(1, "ts-a"), version(2, "ts-b")), "ts-b")).map(ModelVersion::version).contains(2);
    assertThat(TrainJob.upToDate(List.of(version(1, "ts-a")), "ts-b")).as("new inputs").isEmpty();
    assertThat(TrainJob.upToDate(List.of(version(1, "ts-a"), version(2, "ts-b")), "ts-a"))
        .as("an earlier version's training set: the latest was trained on another one since").isEmpty();
    assertThat(TrainJob.upToDate(List.of(version(1, "ts-a", "Spark MLlib LogisticRegression (L2 0.1) after ...",
        CohortModelTrainer.SPLIT_DESCRIPTION)), "ts-a")).as("trained another way").isEmpty();
    assertThat(TrainJob.upToDate(List.of(version(1, "ts-a", CohortModelTrainer.ALGORITHM, "random 70/30")), "ts-a"))
        .as("split another way").isEmpty();
    assertThat(TrainJob.upToDate(List.of(new ModelVersion("m", 1, Path.of("v1"), Map.of())), "ts-a")).as("a card without lineage")
        .isEmpty();
  }
}
