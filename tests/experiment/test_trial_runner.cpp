#include <fmt/format.h>

#include <attnlab/error.hpp>
#include <attnlab/experiment/trial_spec.hpp>
#include <attnlab/io/checkpoint.hpp>
#include <attnlab/io/hdf5_file.hpp>
#include <attnlab/run/results.hpp>
#include <attnlab/run/trial_runner.hpp>
#include <attnlab/train/seeding.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <iterator>

#include "support/experiment_files.hpp"

using namespace attnlab;

namespace {

constexpr const char* kRecorded = R"(
model: {architecture: encoder_decoder, d_model: 16, layers: 2, ffn: 32}
heads: {count: 2}
task: {name: reverse, symbols: 5, length: 4}
train: {steps: 12, batch: 4}
eval: {every: 6, lengths: [6]}
record:
  tensors: ['**.weights', 'encoder.embed.*', 'decoder.layers.*.output']
  examples: 6
  every: 6
)";

// Captures one activation of a forward pass.
class Capture final : public ActivationObserver {
 public:
  explicit Capture(std::string name) : name_(std::move(name)) {}
  void observe(const RecordedTensor& recorded, const Tensor& value) override {
    const std::string_view name = recorded.name;
    if (name == name_) captured = value;
  }
  Tensor captured;

 private:
  std::string name_;
};

bool holds_partial_file(const std::filesystem::path& folder) {
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    if (entry.path().filename().string().find(".partial") != std::string::npos) return true;
  return false;
}

TokenBatch read_tokens(const Hdf5File& file, const std::string& dataset) {
  const Shape shape = file.dataset_shape(dataset);
  return {shape[0], shape[1], file.read_ints(dataset), {}};
}

}  // namespace

TEST_CASE("a trial file holds provenance, metrics, parameters and the recorded activations") {
  TemporaryFolder folder;
  const Experiment experiment = load_experiment(folder.write("x.yaml", kRecorded));
  const Trial& trial = experiment.trials.front();
  const std::string path = (folder.path() / "trial.h5").string();
  const double seconds = run_trial(make_ticket(experiment, trial), path);
  REQUIRE(seconds > 0.0);
  REQUIRE_FALSE(holds_partial_file(folder.path()));

  const Hdf5File file(path, Hdf5File::Mode::read);
  REQUIRE(file.int_attribute("/", "attnlab_results_schema") == kResultsSchemaVersion);
  REQUIRE(file.string_attribute("/", "status") == "finished");
  REQUIRE(file.string_attribute("/", "trial_id") == trial.id);
  REQUIRE(file.string_attribute("/", "config_yaml") == to_yaml(trial.config));
  REQUIRE(file.dataset_shape("metrics/train/loss") == Shape{12});
  REQUIRE(file.read_ints("metrics/eval/step") == std::vector<int32_t>{6, 12});
  REQUIRE(file.dataset_shape("metrics/eval/length_6/accuracy") == Shape{2});
  REQUIRE(file.children("activations") ==
          std::vector<std::string>{"inputs", "step_000006", "step_000012"});

  // The recorded weights are what a forward pass of the saved model gives on the recorded inputs.
  const TrialSpec spec = build_trial(trial.config).spec;
  Rng rng(123);
  const TaskModel model(spec.shape, spec.model, rng);
  load_checkpoint(model.module(), path);
  TaskBatch inputs;
  inputs.source = read_tokens(file, "activations/inputs/source");
  inputs.target_input = read_tokens(file, "activations/inputs/target_input");
  inputs.targets = file.read_ints("activations/inputs/targets");
  for (const std::string name : {"decoder.layers.1.cross_attn.weights",
                                 "encoder.layers.0.self_attn.weights", "decoder.layers.0.output"}) {
    Capture capture(name);
    model.forward(inputs, {.observer = &capture});
    std::string dataset = "activations/step_000012/" + name;
    std::replace(dataset.begin(), dataset.end(), '.', '/');
    const Tensor recorded = file.read_tensor(dataset);
    REQUIRE(recorded.shape() == capture.captured.shape());
    for (int64_t i = 0; i < recorded.numel(); ++i)
      REQUIRE(recorded.data()[i] == Approx(capture.captured.data()[i]).margin(1e-6));
  }
  // An earlier snapshot is of the model as it was then: it differs.
  const Tensor early =
      file.read_tensor("activations/step_000006/encoder/layers/0/self_attn/weights");
  const Tensor late =
      file.read_tensor("activations/step_000012/encoder/layers/0/self_attn/weights");
  REQUIRE(early.to_vector() != late.to_vector());
  REQUIRE(file.contains("activations/step_000012/encoder/embed/positional"));
  REQUIRE_FALSE(file.contains("activations/step_000012/decoder/embed"));  // not selected
  REQUIRE_FALSE(file.contains("activations/step_000012/decoder/layers/0/self_attn/output"));

  const TrialSummary summary = read_trial_summary(path);
  REQUIRE(summary.status == TrialStatus::finished);
  REQUIRE(summary.metrics.back().first == "train_loss");
  REQUIRE(std::find_if(summary.metrics.begin(), summary.metrics.end(), [](const auto& m) {
            return m.first == "eval_accuracy@6";
          }) != summary.metrics.end());
}

TEST_CASE("an eval.settings evaluation is the changed task evaluated on the trained model") {
  TemporaryFolder folder;
  const Experiment experiment = load_experiment(folder.write("x.yaml", R"(
model: {d_model: 16, layers: 1, ffn: 32}
heads: {count: 2}
task: {name: flip_flop, length: 8, ignore_probability: 0.8}
train: {steps: 20, batch: 8}
eval: {every: 10, batches: 2, settings: [{ignore_probability: .1}, {length: 12, ignore_probability: 0.5}]}
)"));
  const Trial& trial = experiment.trials.front();
  const std::string path = (folder.path() / "trial.h5").string();
  run_trial(make_ticket(experiment, trial), path);
  const Hdf5File file(path, Hdf5File::Mode::read);
  // Canonical names: values as the task section writes them, keys in declared order.
  REQUIRE(file.children("metrics/eval/settings") ==
          std::vector<std::string>{"ignore_probability=0.1", "length=12,ignore_probability=0.5"});
  const std::string group = "metrics/eval/settings/length=12,ignore_probability=0.5/length_12";
  REQUIRE(file.dataset_shape(group + "/accuracy") == Shape{2});  // at steps 10 and 20
  REQUIRE(file.string_attribute(group, "setting") == "length=12,ignore_probability=0.5");

  // The final figure is what evaluating the changed task on the saved model gives.
  const BuiltTrial built = build_trial(trial.config);
  REQUIRE(built.setting_tasks.size() == 2);
  REQUIRE(built.spec.model.max_length == 23);  // the longer setting: 2 * 12 - 1 positions
  Rng rng(1);
  const TaskModel model(built.spec.shape, built.spec.model, rng);
  load_checkpoint(model.module(), path);
  const Evaluation direct = evaluate(model, *built.setting_tasks[1], 12, 2, 8,
                                     built.spec.train.seed, 0, "length=12,ignore_probability=0.5");
  const TrialSummary summary = read_trial_summary(path);
  const auto figure = [&](const std::string& name) {
    const auto found = std::find_if(summary.metrics.begin(), summary.metrics.end(),
                                    [&](const auto& m) { return m.first == name; });
    REQUIRE(found != summary.metrics.end());
    return found->second;
  };
  REQUIRE(figure("eval_accuracy[length=12,ignore_probability=0.5]") ==
          static_cast<double>(direct.accuracy));
  REQUIRE(figure("eval_loss[length=12,ignore_probability=0.5]") ==
          static_cast<double>(direct.loss));
  REQUIRE(figure("eval_accuracy[ignore_probability=0.1]") !=
          figure("eval_accuracy[length=12,ignore_probability=0.5]"));
}

TEST_CASE("selected heads are recorded with their indices") {
  TemporaryFolder folder;
  const Experiment experiment =
      load_experiment(folder.write("x.yaml", kRecorded),
                      {"heads.count=4", "record.heads=[3, 1]", "record.every=0"});
  const std::string path = (folder.path() / "trial.h5").string();
  run_trial(make_ticket(experiment, experiment.trials.front()), path);
  const Hdf5File file(path, Hdf5File::Mode::read);
  const std::string weights = "activations/step_000012/encoder/layers/1/self_attn/weights";
  REQUIRE(file.dataset_shape(weights) == Shape{6, 2, 4, 4});
  REQUIRE(file.string_attribute(weights, "heads") == "3,1");
}

TEST_CASE("a tensor an attention variant records lands in the trial file with its names") {
  TemporaryFolder folder;
  const Experiment experiment =
      load_experiment(folder.write("x.yaml", kRecorded),
                      {"attention.variant=softmax_one", "record.tensors=['**.abstention']"});
  const std::string path = (folder.path() / "trial.h5").string();
  run_trial(make_ticket(experiment, experiment.trials.front()), path);
  const Hdf5File file(path, Hdf5File::Mode::read);
  const std::string abstention =
      hdf5_path("activations/step_000012", "decoder.layers.1.cross_attn.variant.abstention");
  REQUIRE(file.dataset_shape(abstention) == Shape{6, 2, 4});
  REQUIRE(file.has_attribute(abstention, "dims"));
}

TEST_CASE("an interrupted or failed trial leaves no file behind") {
  TemporaryFolder folder;
  const Experiment experiment = load_experiment(folder.write("x.yaml", kRecorded));
  const std::string path = (folder.path() / "trial.h5").string();
  REQUIRE_THROWS_AS(run_trial(make_ticket(experiment, experiment.trials.front()), path,
                              [](const TrainRecord& r) {
                                if (r.step == 7) throw TrialInterrupted();
                              }),
                    TrialInterrupted);
  REQUIRE(std::distance(std::filesystem::directory_iterator(folder.path()),
                        std::filesystem::directory_iterator()) == 1);  // x.yaml only
  REQUIRE_FALSE(std::filesystem::exists(path));
  REQUIRE_FALSE(holds_partial_file(folder.path()));

  const Experiment diverging =
      load_experiment(folder.write("y.yaml", kRecorded), {"train.lr=1e30", "train.clip=0"});
  REQUIRE_THROWS_WITH(run_trial(make_ticket(diverging, diverging.trials.front()), path),
                      Catch::Matchers::Contains("training diverged"));
  REQUIRE_FALSE(std::filesystem::exists(path));
  REQUIRE_FALSE(holds_partial_file(folder.path()));
}

TEST_CASE("a results file from a newer attnlab is refused with both versions") {
  TemporaryFolder folder;
  const std::string path = (folder.path() / "future.h5").string();
  {
    Hdf5File file(path, Hdf5File::Mode::create);
    file.set_attribute("/", "attnlab_results_schema", kResultsSchemaVersion + 1);
  }
  REQUIRE_THROWS_WITH(read_trial_summary(path),
                      Catch::Matchers::Contains(fmt::format(
                          "written with results schema {}, but this attnlab reads up to {}",
                          kResultsSchemaVersion + 1, kResultsSchemaVersion)));
}

TEST_CASE("inspecting a trial's file only reads, setting a damaged one aside is its own step") {
  TemporaryFolder folder;
  const OutputLayout layout(folder.path() / "out");
  std::filesystem::create_directories(layout.trials());
  REQUIRE(inspect_trial_file(layout, "0123456789abcdef").kind == TrialFileState::Kind::absent);
  const auto file = layout.trial_file("0123456789abcdef");
  std::ofstream(file) << "not HDF5";  // e.g. what a power loss leaves
  const TrialFileState state = inspect_trial_file(layout, "0123456789abcdef");
  REQUIRE(state.kind == TrialFileState::Kind::damaged);
  REQUIRE_FALSE(state.damage.empty());
  REQUIRE(std::filesystem::exists(file));  // the question moved nothing
  const std::string moved = set_aside_damaged_file(layout, "0123456789abcdef", state.damage);
  REQUIRE_THAT(moved,
               Catch::Matchers::Contains("unreadable") && Catch::Matchers::Contains(state.damage));
  REQUIRE_FALSE(std::filesystem::exists(file));
  REQUIRE(std::distance(std::filesystem::directory_iterator(layout.trials() / "unreadable"),
                        std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("a ticket round-trips and refuses a configuration edited by hand") {
  TemporaryFolder folder;
  const Experiment experiment = load_experiment(folder.write("x.yaml", kRecorded));
  const TrialTicket ticket = make_ticket(experiment, experiment.trials.front());
  const std::string text = ticket_to_yaml(ticket);
  const TrialTicket back = read_ticket(folder.write("ticket.yaml", text));
  REQUIRE(back.trial.id == ticket.trial.id);
  REQUIRE(back.given_yaml == ticket.given_yaml);
  REQUIRE(to_yaml(back.trial.config) == to_yaml(ticket.trial.config));
  std::string edited = text;
  edited.replace(edited.rfind("steps: 12"), 9, "steps: 13");  // the config, not the source
  REQUIRE_THROWS_WITH(read_ticket(folder.write("edited.yaml", edited)),
                      Catch::Matchers::Contains("does not hash to the trial id"));
}

TEST_CASE("results whose publish fails at the rename leave no temporary behind") {
  TemporaryFolder folder;
  const Experiment experiment =
      load_experiment(folder.write("e.yaml", "task: {name: copy}\nseeds: 1\n"),
                      {"output=" + (folder.path() / "out").string()});
  const OutputLayout layout(experiment.output_dir);
  std::filesystem::create_directories(layout.results_h5() / "inside");  // rename cannot replace it
  std::filesystem::create_directories(layout.trials());
  REQUIRE_THROWS_AS(update_results(experiment, layout), IoError);
  REQUIRE_FALSE(holds_partial_file(layout.dir()));
}
