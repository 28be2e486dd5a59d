// Every kind of bad experiment file is refused before anything runs, with the
// file, line and column, the dotted key, what was found and what was expected.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/error.hpp>
#include <attnlab/experiment/experiment.hpp>
#include <attnlab/experiment/trial_spec.hpp>
#include <attnlab/model/config.hpp>
#include <attnlab/task/task.hpp>
#include <attnlab/train/trainer.hpp>
#include <catch2/catch.hpp>

#include "support/experiment_files.hpp"

using namespace attnlab;

namespace {

// Refusal message of `text` loaded as x.yaml (with overrides).
std::string refusal(const std::string& text, const std::vector<std::string>& overrides = {}) {
  TemporaryFolder folder;
  const std::string path = folder.write("x.yaml", text);
  try {
    load_experiment(path, overrides);
  } catch (const Error& e) {
    std::string message = e.what();
    const std::string folder_prefix = folder.path().string() + "/";
    for (std::size_t at; (at = message.find(folder_prefix)) != std::string::npos;)
      message.erase(at, folder_prefix.size());
    return message;
  }
  FAIL("expected " << text << " to be refused");
  return "";
}

// A task that only a decoder-only model can be given.
const bool registered_decoder_only_task = [] {
  task_registry().add({
      .name = "decoder_only_copy",
      .description = "copy, posed to decoder-only models only (validation tests)",
      .parameters = sequence_transduction_parameters(),
      .capabilities = {.encoder = false, .decoder = true, .encoder_decoder = false},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return task_registry().create("copy",
                                      {{"symbols", std::to_string(p.integer("symbols"))},
                                       {"length", std::to_string(p.integer("length"))}},
                                      {});
      },
  });
  return true;
}();

// A variant whose parameter has the name of its section's selector.
const bool registered_shadowing_variant = [] {
  attention_registry().add({
      .name = "test_shadowing",
      .description = "declares a parameter called 'variant' (validation tests)",
      .parameters = {{"variant", ParameterType::text, "x", "clashes with attention.variant"}},
      .capabilities = {},
      .factory =
          [](const Parameters&, const AttentionVariant::BuildContext&) {
            return std::unique_ptr<AttentionVariant>();
          },
  });
  return true;
}();

}  // namespace

TEST_CASE("a component parameter named like a key of its section is refused, naming both") {
  REQUIRE_THAT(refusal("attention:\n  variant: test_shadowing\n"),
               Catch::Matchers::Contains("attention.variant: component 'test_shadowing' declares "
                                         "a parameter 'variant', which is a key of section "
                                         "'attention' itself"));
}

TEST_CASE("an unknown key is named with its location and the closest key") {
  const std::string m = refusal("model:\n  d_modle: 16\n");
  REQUIRE_THAT(m, Catch::Matchers::StartsWith("x.yaml:2:3: model.d_modle: unknown key (did you "
                                              "mean 'd_model'?)"));
  REQUIRE_THAT(refusal("modle: {}\n"), Catch::Matchers::StartsWith("x.yaml:1:1: modle: unknown "
                                                                   "key (did you mean 'model'?)"));
}

TEST_CASE("a value of the wrong type says what was found and what was expected") {
  REQUIRE_THAT(refusal("train:\n  steps: many\n"),
               Catch::Matchers::StartsWith(
                   "x.yaml:2:10: train.steps: found 'many', expected an integer >= 1"));
  REQUIRE_THAT(refusal("model: {d_model: [1, 2]}\n"),
               Catch::Matchers::StartsWith("x.yaml:1:18: model.d_model: found a list, expected "
                                           "an integer >= 1"));
  REQUIRE_THAT(refusal("eval: {lengths: 12}\n"),
               Catch::Matchers::Contains("eval.lengths: found '12', expected a list of integers"));
}

TEST_CASE("out-of-range values and bad choices are refused") {
  REQUIRE_THAT(refusal("model: {dropout: 1.5}\n"),
               Catch::Matchers::StartsWith("x.yaml:1:18: model.dropout: found '1.5', expected a "
                                           "number in [0, 0.95]"));
  REQUIRE_THAT(refusal("train: {lr: 0}\n"),
               Catch::Matchers::Contains("train.lr: found '0', expected a number > 0"));
  REQUIRE_THAT(refusal("model: {norm: middle}\n"),
               Catch::Matchers::Contains("model.norm: found 'middle', expected one of pre | post"));
}

TEST_CASE("unknown components and parameters list the choices") {
  REQUIRE_THAT(refusal("positional: {kind: rop}\n"),
               Catch::Matchers::StartsWith("x.yaml:1:20: positional.kind: unknown positional "
                                           "encoding 'rop' (did you mean 'rope'?)"));
  REQUIRE_THAT(refusal("attention:\n  variant: local\n  windw: 3\n"),
               Catch::Matchers::StartsWith("x.yaml:3:3: attention.windw: unknown key (did you "
                                           "mean 'window'?)"));
  REQUIRE_THAT(refusal("attention: {variant: local, window: wide}\n"),
               Catch::Matchers::Contains("attention.window: found 'wide', expected an integer"));
}

TEST_CASE("heads that do not divide d_model in any arm fail before the first trial") {
  const std::string m = refusal(R"(model: {d_model: 12}
task: {name: copy, symbols: 4, length: 3}
ablation:
  grid:
    heads.count: [1, 2, 3, 4, 5, 6]
)");
  REQUIRE_THAT(m, Catch::Matchers::StartsWith("x.yaml:5:31: heads.count:"));
  REQUIRE_THAT(m, Catch::Matchers::Contains("does not divide d_model = 12"));
  REQUIRE_THAT(m, Catch::Matchers::Contains("in arm 'heads.count=5': trial index 4 of 0..5 in "
                                            "'attnlab plan'; no trial has run"));
  // Both values defaulted or written elsewhere: the error points at the one that was written.
  REQUIRE_THAT(refusal("model: {d_model: 30}\n"),
               Catch::Matchers::StartsWith("x.yaml (model.d_model):1:18: heads.count: heads = 4 "
                                           "does not divide d_model = 30"));
  REQUIRE_THAT(refusal("heads: {layout: gqa, count: 4, groups: 3}\n"),
               Catch::Matchers::Contains("groups"));
}

TEST_CASE("a task the architecture cannot take is refused at the architecture key") {
  REQUIRE_THAT(refusal("model: {architecture: encoder}\ntask: {name: decoder_only_copy}\n"),
               Catch::Matchers::StartsWith("x.yaml:1:23: model.architecture: task "
                                           "'decoder_only_copy' cannot be posed to a model of "
                                           "architecture encoder"));
}

TEST_CASE("a learned table shorter than an evaluated length is refused") {
  const std::string m = refusal(R"(positional: {kind: learned, length: 8}
task: {name: copy, symbols: 4, length: 3}
eval: {lengths: [12]}
)");
  REQUIRE_THAT(m, Catch::Matchers::StartsWith("x.yaml:3:17: eval.lengths: a forward pass at "
                                              "length 12 fails"));
  REQUIRE_THAT(m, Catch::Matchers::Contains("has a table of 8 positions"));
}

TEST_CASE("eval.settings are the task's parameters, checked where they are written") {
  const std::string task = "task: {name: flip_flop, length: 8}\n";
  REQUIRE_THAT(refusal(task + "eval: {settings: [{ignore_probabilty: 0.9}]}\n"),
               Catch::Matchers::StartsWith(
                   "x.yaml:2:20: eval.settings[0].ignore_probabilty: unknown key (did you mean "
                   "'ignore_probability'?); 'eval.settings[0]' takes: length, ignore_probability"));
  REQUIRE_THAT(refusal(task + "eval: {settings: [{ignore_probability: 1.5}]}\n"),
               Catch::Matchers::StartsWith("x.yaml:2:40: eval.settings[0].ignore_probability: "
                                           "found '1.5', expected a finite number in [0, 1]"));
  REQUIRE_THAT(refusal(task + "eval: {settings: [{}]}\n"),
               Catch::Matchers::StartsWith("x.yaml:2:19: eval.settings[0]: found an empty map, "
                                           "expected a map of task 'flip_flop' parameters"));
  REQUIRE_THAT(refusal(task + "eval: {settings: {length: 4}}\n"),
               Catch::Matchers::StartsWith("x.yaml:2:18: eval.settings: found a map, expected a "
                                           "list of maps of the task's parameters"));
  REQUIRE_THAT(
      refusal(task + "eval: {settings: [{ignore_probability: 0.5}, {ignore_probability: .50}]}\n"),
      Catch::Matchers::Contains(
          "eval.settings[1]: the setting ignore_probability=0.5 is listed twice"));
  REQUIRE_THAT(refusal("task: {name: multi_offset_copy}\neval: {settings: [{offsets: '1,2'}]}\n"),
               Catch::Matchers::Contains("eval.settings[0].offsets: found '1,2': a setting's "
                                         "values name its figures and HDF5 groups"));
  REQUIRE_THAT(refusal(task + "eval: {settings: [{ignore_probability: 0.8}]}\n"),
               Catch::Matchers::StartsWith("x.yaml:2:19: eval.settings[0]: changes nothing"));
  REQUIRE_THAT(refusal(task + "eval: {settings: [{length: 12}]}\n"),
               Catch::Matchers::StartsWith("x.yaml:2:19: eval.settings[0]: changes only the "
                                           "length: use eval.lengths: [12]"));
  // A value every parameter check accepts but the task itself refuses: at the setting.
  REQUIRE_THAT(refusal("task: {name: induction, symbols: 8, length: 4}\n"
                       "eval: {settings: [{length: 9, min_repeat: 3}]}\n"),
               Catch::Matchers::StartsWith("x.yaml:2:19: eval.settings[0] (length=9,min_repeat=3): "
                                           "task 'induction': length (the longest repeat)"));
  // A setting may not change what the tokens are.
  REQUIRE_THAT(refusal("task: {name: mqar, symbols: 32, length: 4}\n"
                       "eval: {settings: [{symbols: 64}]}\n"),
               Catch::Matchers::Contains("eval.settings[0] (symbols=64): changes the vocabulary "
                                         "(64 tokens and 64 classes, the trained task has 32 and "
                                         "32)"));
  // The memory estimate and the forward pass include the settings.
  REQUIRE_THAT(refusal(task + "eval: {settings: [{length: 20000, ignore_probability: 0.5}]}\n"),
               Catch::Matchers::Contains("evaluation at length 20000"));
  REQUIRE_THAT(refusal("positional: {kind: learned}\nmodel: {max_length: 16}\n" + task +
                       "eval: {settings: [{length: 12, ignore_probability: 0.5}]}\n"),
               Catch::Matchers::Contains("eval.settings[0]: a forward pass on "
                                         "length=12,ignore_probability=0.5 fails"));
}

TEST_CASE("a task's validation part too small for the length is refused before training") {
  TemporaryFolder corpus_folder;  // 200 characters: a validation part of 10
  const std::string corpus = corpus_folder.write("corpus.txt", std::string(200, 'a'));
  const std::string experiment =
      "model: {architecture: decoder}\ntask: {name: char_lm, corpus: " + corpus + ", length: 12}\n";
  REQUIRE_THAT(refusal(experiment + "eval: {validation_batches: 1}\n"),
               Catch::Matchers::Contains(
                   "task (its validation part, which eval.validation_batches reads): task "
                   "'char_lm': the validation part of the corpus has 10 characters"));
  REQUIRE_THAT(refusal(experiment + "tune: {train.lr: [0.001, 0.003]}\n"),
               Catch::Matchers::Contains("the validation part of the corpus has 10 characters"));
}

TEST_CASE("a task's own refusal names the task section, generation needs next-token targets") {
  REQUIRE_THAT(refusal("task: {name: mqar, symbols: 33}\n"),
               Catch::Matchers::StartsWith("x.yaml:1:7: task: task 'mqar': symbols must be even"));
  REQUIRE_THAT(refusal("task: {name: shift}\neval: {generation_batches: 1}\n"),
               Catch::Matchers::Contains("eval.generation_batches: task 'shift' has no "
                                         "free-running form"));
}

TEST_CASE("randomized positions need a range at least the longest sequence") {
  REQUIRE_THAT(
      refusal("task: {name: shift, length: 16}\npositional: {kind: rope, randomized: 8}\n"),
      Catch::Matchers::StartsWith(
          "x.yaml:2:38: positional.randomized: found 8, expected 0 or at least the "
          "longest sequence fed to the model, 16 tokens"));
  // A table longer than the sequences (model.max_length) does not raise the bar.
  TemporaryFolder folder;
  REQUIRE_NOTHROW(
      load_experiment(folder.write("y.yaml",
                                   "task: {name: shift, length: 16}\nmodel: {max_length: 300}\n"
                                   "positional: {kind: learned, randomized: 64}\n")));
}

TEST_CASE("memory: mean outside an encoder-decoder is refused: it would change nothing") {
  REQUIRE_THAT(refusal("model: {architecture: decoder, memory: mean}\n"),
               Catch::Matchers::StartsWith("x.yaml:1:40: model.memory: only an encoder-decoder "
                                           "has cross-attention: memory: mean changes nothing"));
}

TEST_CASE("an incompatible combination of components is refused") {
  REQUIRE_THAT(refusal("attention: {variant: linear}\npositional: {kind: alibi}\n"),
               Catch::Matchers::Contains("attention variant 'linear' does not honour the score "
                                         "bias that positional encoding 'alibi' adds"));
}

TEST_CASE("record patterns that match nothing and out-of-range indices are refused") {
  REQUIRE_THAT(refusal("record: {tensors: ['**.weights', '*.wieghts']}\n"),
               Catch::Matchers::StartsWith("x.yaml:1:34: record.tensors: '*.wieghts' matches no "
                                           "activation"));
  REQUIRE_THAT(refusal("model: {layers: 2}\nrecord: {tensors: ['**.q'], layers: [2]}\n"),
               Catch::Matchers::Contains("record.layers: found layer 2, expected an index < "
                                         "model.layers = 2"));
}

TEST_CASE("malformed ablations are refused where they are written") {
  REQUIRE_THAT(refusal("ablation:\n  zip: {heads.count: [1, 2], model.d_model: [8]}\n"),
               Catch::Matchers::StartsWith("x.yaml:2:30: ablation zip: axis 'model.d_model' has "
                                           "1 values but 'heads.count' has 2"));
  REQUIRE_THAT(refusal("ablation:\n  grid: {heads.count: []}\n"),
               Catch::Matchers::Contains("expected a non-empty list of values"));
  REQUIRE_THAT(refusal("ablation:\n  - set: {model.norm: post}\n"),
               Catch::Matchers::Contains("an arm without grid or zip needs a 'name'"));
  REQUIRE_THAT(refusal("ablation:\n  gird: {heads.count: [1]}\n"),
               Catch::Matchers::Contains("unknown key 'gird' (did you mean 'grid'?)"));
  REQUIRE_THAT(refusal("ablation:\n  grid: {heads.cout: [1, 2]}\n"),
               Catch::Matchers::StartsWith("x.yaml:2:10: heads.cout: unknown key (did you mean "
                                           "'count'?)"));
  REQUIRE_THAT(refusal("ablation:\n  - {name: a, set: {model.norm: post}}\n  - {name: b, set: "
                       "{model.norm: post}}\n"),
               Catch::Matchers::Contains("has the same resolved configuration as an earlier "
                                         "trial"));
}

TEST_CASE("the seed is set by seeds:, never by an axis, and is checked like any value") {
  REQUIRE_THAT(refusal("ablation:\n  zip: {train.seed: [5, 6]}\n"),
               Catch::Matchers::StartsWith("x.yaml:2:9: train.seed: the seed is not an ablation "
                                           "axis"));
  REQUIRE_THAT(refusal("train: {seed: x}\n"),
               Catch::Matchers::StartsWith("x.yaml:1:15: train.seed: found 'x', expected an "
                                           "integer >= 0"));
  REQUIRE_THAT(refusal("train: {seed: -1}\n"), Catch::Matchers::Contains("found '-1'"));
  REQUIRE_THAT(refusal("record: {tensors: ['**.q'], heads: [1, 1]}\n"),
               Catch::Matchers::Contains("record.heads: head 1 is listed twice"));
  REQUIRE_THAT(refusal("{}\n", {"base=other.yaml"}),
               Catch::Matchers::Contains("base: cannot be overridden"));
}

TEST_CASE("a folder or a missing file is refused by name") {
  TemporaryFolder folder;
  REQUIRE_THROWS_WITH(load_experiment(folder.path().string()),
                      Catch::Matchers::Contains("is a folder, expected a YAML file"));
  REQUIRE_THROWS_WITH(load_experiment((folder.path() / "none.yaml").string()),
                      Catch::Matchers::Contains("none.yaml: no such experiment file"));
}

TEST_CASE("plugins named in a base file are found next to that file") {
  TemporaryFolder folder;
  std::filesystem::create_directories(folder.path() / "sub");
  folder.write("sub/base.yaml", "plugins: [missing_plugin.so]\n");
  const std::string path = folder.write("x.yaml", "base: sub/base.yaml\n");
  REQUIRE_THROWS_WITH(
      load_experiment(path),
      Catch::Matchers::Contains((folder.path() / "sub/missing_plugin.so").string()));
}

TEST_CASE("syntax errors, duplicate keys, bad seeds, bad overrides and base cycles are refused") {
  REQUIRE_THAT(refusal("model: {d_model: 16\n"),
               Catch::Matchers::StartsWith("x.yaml:2:1: YAML syntax error"));
  REQUIRE_THAT(refusal("train: {steps: 1}\ntrain: {steps: 2}\n"),
               Catch::Matchers::StartsWith("x.yaml:2:1: key 'train' appears twice (first at "
                                           "x.yaml:1:1)"));
  REQUIRE_THAT(refusal("seeds: 0\n"),
               Catch::Matchers::StartsWith("x.yaml:1:8: seeds: found '0', expected a count >= 1"));
  REQUIRE_THAT(refusal("seeds: [1, 1]\n"), Catch::Matchers::Contains("seed 1 is listed twice"));
  REQUIRE_THAT(refusal("{}\n", {"model.d_model=wide"}),
               Catch::Matchers::StartsWith("command line (-o model.d_model=wide):1:1: "
                                           "model.d_model: found 'wide'"));
  REQUIRE_THAT(refusal("{}\n", {"model"}),
               Catch::Matchers::Contains("expected -o dotted.key=value"));
  REQUIRE_THAT(refusal("base: x.yaml\n"), Catch::Matchers::Contains("in a cycle"));
  REQUIRE_THAT(refusal("plugins: [missing.so]\n"),
               Catch::Matchers::StartsWith("x.yaml:1:11: plugins: plugin 'missing.so' not found"));
  REQUIRE_THAT(refusal("base: missing.yaml\n"),
               Catch::Matchers::StartsWith("x.yaml:1:7: base: file"));
}

TEST_CASE("a choice key decodes through its one table of names, anything else is an error") {
  REQUIRE(activation_names().decode("gelu", "model.activation") == Activation::gelu);
  REQUIRE(norm_placement_names().decode("post", "model.norm") == NormPlacement::post);
  REQUIRE(schedule_names().decode("constant", "train.schedule") == LearningRateSchedule::constant);
  REQUIRE(model_shape_names().decode("encoder_decoder", "model.architecture") ==
          ModelShape::encoder_decoder);
  // A value a table lacks (say swiglu added to the schema only) is never read as another.
  REQUIRE_THROWS_WITH(
      activation_names().decode("swiglu", "model.activation"),
      Catch::Matchers::Contains("model.activation: 'swiglu' is not one of relu | gelu"));
  for (Activation a : {Activation::relu, Activation::gelu})
    REQUIRE(activation_names().decode(to_string(a), "") == a);
}

TEST_CASE("an experiment of all defaults is what the typed structs default to") {
  TemporaryFolder folder;
  const Experiment experiment = load_experiment(folder.write("x.yaml", "{}"));
  const ConfigNode& resolved = experiment.trials.at(0).config;
  const TransformerConfig model;
  const TrainOptions train;
  const auto text = [&](const char* key) { return resolved.at_path(key)->text(); };
  REQUIRE(text("model.max_length") == std::to_string(model.max_length));  // was 512 against 0
  // The defaults are part of every trial's id: changing one on purpose renames every
  // trial (results are rerun, not resumed) and must be said in docs/hdf5-layout.md.
  REQUIRE(experiment.trials.at(0).id == "c05d781455f70c60");
  const BuiltTrial built = build_trial(resolved);
  const TrialSpec& spec = built.spec;
  REQUIRE(spec.model.d_model == model.d_model);
  REQUIRE(spec.model.heads == model.heads);
  REQUIRE(spec.model.ffn_dim == model.ffn_dim);
  REQUIRE(spec.model.decoder_layers == model.decoder_layers);
  REQUIRE(spec.model.activation == model.activation);
  REQUIRE(spec.model.norm == model.norm);
  REQUIRE(spec.model.dropout == model.dropout);
  REQUIRE(spec.model.memory == model.memory);
  REQUIRE(spec.model.attention.name == model.attention.name);
  REQUIRE(spec.model.positional.name == model.positional.name);
  REQUIRE(spec.model.head_layout.name == model.head_layout.name);
  REQUIRE(spec.model.max_length == built.task->sequence_length(spec.shape, built.task->length()));
  REQUIRE(spec.train.steps == train.steps);
  REQUIRE(spec.train.lr == train.lr);
  REQUIRE(spec.train.schedule == train.schedule);
  REQUIRE(spec.train.warmup_steps == train.warmup_steps);
  REQUIRE(spec.train.final_lr_ratio == train.final_lr_ratio);
  REQUIRE(spec.train.clip_norm == train.clip_norm);
  REQUIRE(spec.train.adamw.weight_decay == train.adamw.weight_decay);
  REQUIRE(spec.train.eval_every == train.eval_every);
  REQUIRE(spec.train.eval_batches == train.eval_batches);
  REQUIRE(spec.threads == TrialSpec{}.threads);
  REQUIRE(spec.record.examples == RecordOptions{}.examples);
}
