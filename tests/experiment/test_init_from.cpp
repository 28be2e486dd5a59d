// train.init_from: a trial starts from a file's parameters, found relative to
// the file naming it, checked when the experiment is planned.
#include <attnlab/error.hpp>
#include <attnlab/experiment/experiment.hpp>
#include <attnlab/experiment/trial_spec.hpp>
#include <attnlab/io/checkpoint.hpp>
#include <attnlab/io/parameter_file.hpp>
#include <attnlab/io/safetensors.hpp>
#include <attnlab/train/seeding.hpp>
#include <catch2/catch.hpp>
#include <limits>

#include "support/experiment_files.hpp"

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

constexpr const char* kSmall =
    "model: {d_model: 16, layers: 1, ffn: 32}\n"
    "task: {name: reverse, length: 6}\n";

// A checkpoint of the model `yaml` (+ overrides) describes, initialized from `seed`.
std::string checkpoint_of(TemporaryFolder& folder, const std::string& name,
                          const std::vector<std::string>& overrides, uint64_t seed) {
  const Experiment experiment = load_experiment(
      folder.write("source.yaml", std::string(kSmall) + "train: {steps: 2, batch: 4}\n"),
      overrides);
  const BuiltTrial built = build_trial(experiment.trials.at(0).config);
  Rng init(seed);
  const TaskModel model(built.spec.shape, built.spec.model, init);
  const std::string path = (folder.path() / name).string();
  save_checkpoint(model.module(), path);
  return path;
}

std::unique_ptr<TaskModel> model_of(const Experiment& experiment) {
  const BuiltTrial built = build_trial(experiment.trials.at(0).config);
  Rng init = seeded_rng(built.spec.train.seed, "init");
  return std::make_unique<TaskModel>(built.spec.shape, built.spec.model, init);
}

}  // namespace

TEST_CASE("train.init_from is found relative to the file that names it and loads every parameter") {
  TemporaryFolder folder;
  checkpoint_of(folder, "start.h5", {}, 7);
  std::filesystem::create_directories(folder.path() / "sub");
  const std::string yaml = folder.write("sub/x.yaml", std::string(kSmall) +
                                                          "train: {steps: 2, batch: 4, "
                                                          "init_from: ../start.h5}\n");
  const Experiment experiment = load_experiment(yaml);
  const std::string anchored = experiment.trials.at(0).config.at_path("train.init_from")->text();
  REQUIRE(anchored == (folder.path() / "start.h5").lexically_normal().string());
  const std::unique_ptr<TaskModel> model = model_of(experiment);
  const InitialWeights loaded = load_initial_weights(model->module(), anchored, true);
  REQUIRE(loaded.loaded == loaded.of);
  REQUIRE_THAT(loaded.account, Contains("all") && Contains("start.h5"));
  Rng seven(7);
  const BuiltTrial built = build_trial(experiment.trials.at(0).config);
  const TaskModel expected(built.spec.shape, built.spec.model, seven);
  const auto a = model->module().named_parameters(), b = expected.module().named_parameters();
  for (std::size_t i = 0; i < a.size(); ++i)
    REQUIRE(a[i].second.to_vector() == b[i].second.to_vector());
}

TEST_CASE("a train.init_from that does not fit is refused at planning, by file, line and key") {
  TemporaryFolder folder;
  checkpoint_of(folder, "narrow.h5", {"model.d_model=8"}, 1);
  SECTION("strict: every missing, unexpected and mis-shaped name is listed") {
    const std::string yaml = folder.write(
        "x.yaml", std::string(kSmall) + "train: {steps: 2, batch: 4, init_from: narrow.h5}\n");
    try {
      load_experiment(yaml, {"model.layers=2"});
      FAIL("expected a refusal");
    } catch (const ConfigError& e) {
      const std::string message = e.what();
      CHECK_THAT(message, Contains("x.yaml:3:") && Contains("train.init_from") &&
                              Contains("narrow.h5") && Contains("missing") &&
                              Contains("of another shape") && Contains("init_from_strict: false"));
    }
  }
  SECTION("a file that is not there") {
    const std::string yaml = folder.write(
        "x.yaml", std::string(kSmall) + "train: {steps: 2, batch: 4, init_from: gone.h5}\n");
    REQUIRE_THROWS_WITH(load_experiment(yaml), Contains("train.init_from") && Contains("gone.h5") &&
                                                   Contains("no such file"));
  }
  SECTION("not strict: the matching subset loads, and what did not is said") {
    const std::string yaml = folder.write(
        "x.yaml",
        std::string(kSmall) +
            "train: {steps: 2, batch: 4, init_from: narrow.h5, init_from_strict: false}\n");
    const Experiment experiment = load_experiment(yaml, {"model.d_model=8", "model.layers=2"});
    const std::unique_ptr<TaskModel> model = model_of(experiment);
    const InitialWeights loaded = load_initial_weights(
        model->module(), experiment.trials.at(0).config.at_path("train.init_from")->text(), false);
    REQUIRE(loaded.loaded > 0);
    REQUIRE(loaded.loaded < loaded.of);
    REQUIRE_THAT(loaded.account, Contains("missing") && Contains("layers.1"));
  }
}

TEST_CASE("train.init_from reads safetensors, and refuses files that hold no parameters") {
  TemporaryFolder folder;
  const std::string checkpoint = checkpoint_of(folder, "start.h5", {}, 3);
  const Experiment experiment =
      load_experiment(folder.write("x.yaml", kSmall));  // defaults for train
  const std::unique_ptr<TaskModel> model = model_of(experiment);
  SafetensorsContent content;
  for (const auto& [name, tensor] : model->module().named_parameters())
    content.tensors.emplace_back(name, Tensor::from_values(tensor.shape(), tensor.values()));
  write_safetensors(folder.path() / "w.safetensors", content);
  REQUIRE(load_initial_weights(model->module(), folder.path() / "w.safetensors", true).loaded ==
          static_cast<int64_t>(content.tensors.size()));
  REQUIRE_THROWS_WITH(read_parameter_file(folder.path() / "x.yaml"), Contains("x.yaml"));
  content.tensors.back().second.data()[0] = std::numeric_limits<float>::quiet_NaN();
  write_safetensors(folder.path() / "nan.safetensors", content);
  REQUIRE_THROWS_WITH(read_parameter_file(folder.path() / "nan.safetensors"),
                      Contains(content.tensors.back().first) && Contains("not finite"));
  SafetensorsContent empty;
  write_safetensors(folder.path() / "empty.safetensors", empty);
  REQUIRE_THROWS_WITH(read_parameter_file(folder.path() / "empty.safetensors"),
                      Contains("holds no parameters"));
}
