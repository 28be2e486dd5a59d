// `attnlab train`: one small Transformer trained in the foreground, its loss
// curve printed as it trains. A thin layer over one experiment: every flag is
// an override of a key of docs/experiments.md, so every default (and every
// check) is the experiment schema's, and `attnlab train` trains exactly what
// `attnlab run -o KEY=VALUE ...` would for its one trial.
#include <fmt/format.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "attnlab/error.hpp"
#include "attnlab/experiment/experiment.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/io/output_layout.hpp"
#include "attnlab/io/parameter_file.hpp"
#include "attnlab/threads.hpp"
#include "attnlab/train/seeding.hpp"
#include "attnlab/train/trainer.hpp"
#include "commands.hpp"
#include "flag_overrides.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {
namespace {

// A flag that sets one key of the experiment schema.
struct KeyFlag {
  const char* flag;
  const char* key;
  const char* help;
};

constexpr KeyFlag kKeyFlags[] = {
    {"task", "task.name", "task ('attnlab plugins' lists them)"},
    {"architecture", "model.architecture", "encoder | decoder | encoder_decoder"},
    {"d-model", "model.d_model", "model width"},
    {"heads", "heads.count", "attention heads (must divide d-model for width: split)"},
    {"layers", "model.layers", "blocks in each stack"},
    {"ffn", "model.ffn", "feed-forward hidden width"},
    {"norm", "model.norm", "pre | post LayerNorm placement"},
    {"activation", "model.activation", "relu | gelu"},
    {"dropout", "model.dropout", "dropout probability"},
    {"positional", "positional.kind", "positional encoding ('attnlab plugins' lists them)"},
    {"head-layout", "heads.layout", "mha | mqa | gqa (or a plugin's)"},
    {"attention", "attention.variant", "attention variant ('attnlab plugins' lists them)"},
    {"steps", "train.steps", "optimizer steps"},
    {"batch", "train.batch", "sequences per step"},
    {"lr", "train.lr", "peak learning rate (AdamW)"},
    {"warmup", "train.warmup", "linear warm-up steps"},
    {"clip", "train.clip", "gradient-norm clip (0 = off)"},
    {"seed", "train.seed", "seed of initialisation, data and dropout"},
    {"threads", "train.threads", "threads (results depend on it: docs/determinism.md)"},
    {"init-from", "train.init_from",
     "start from the parameters of this checkpoint, trial file or .safetensors file"},
    {"init-from-strict", "train.init_from_strict",
     "true: every parameter must be there; false: load those that match"},
};

// A repeatable KEY=VALUE flag that sets a parameter of a component section.
constexpr KeyFlag kParameterFlags[] = {
    {"task-param", "task", "a parameter of the task as key=value, e.g. length=8"},
    {"attention-param", "attention", "a parameter of the attention variant as key=value"},
    {"positional-param", "positional", "a parameter of the positional encoding as key=value"},
    {"head-layout-param", "heads", "a parameter of the head layout, e.g. width=fixed"},
};

struct TrainFlags {
  std::map<std::string, std::string> values;  // flag -> value, as given
  std::map<std::string, std::vector<std::string>> parameters;
  std::vector<std::string> plugins;
  int64_t log_every = 50;
  std::string checkpoint;
};

// The defaults the schema gives, to show in --help.
ConfigNode schema_defaults() {
  return experiment_from_text("{}\n", "attnlab_train.yaml").trials.at(0).config;
}

// `defaults` (the schema's, resolved) are shown when given: only --help needs them,
// and resolving them is a whole experiment's validation.
po::options_description describe(TrainFlags& flags, const ConfigNode* defaults) {
  po::options_description options("attnlab train options (each sets the experiment key shown)");
  options.add_options()("help,h", "show this text");
  for (const KeyFlag& f : kKeyFlags) {
    const ConfigNode* fallback = defaults ? defaults->at_path(f.key) : nullptr;
    options.add_options()(
        f.flag, po::value(&flags.values[f.flag]),
        fallback ? fmt::format("{} ({}, default {})", f.help, f.key, fallback->text()).c_str()
                 : fmt::format("{} ({})", f.help, f.key).c_str());
  }
  for (const KeyFlag& f : kParameterFlags)
    options.add_options()(f.flag, po::value(&flags.parameters[f.flag])->composing(),
                          fmt::format("{} ({}.KEY; repeatable)", f.help, f.key).c_str());
  options.add_options()("plugin", po::value(&flags.plugins)->composing(),
                        "load a plugin library (plugins; repeatable; ATTNLAB_PLUGIN_PATH is "
                        "searched)")("log-every",
                                     po::value(&flags.log_every)->default_value(flags.log_every),
                                     "print the loss every N steps")(
      "checkpoint", po::value(&flags.checkpoint), "save the trained parameters to this HDF5 file");
  return options;
}

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

// The flags as overrides of the empty experiment.
std::vector<FlagOverride> overrides_of(const TrainFlags& flags, const po::variables_map& given) {
  std::vector<FlagOverride> overrides;
  if (!flags.plugins.empty()) {
    std::vector<std::string> paths, flags_given;
    for (const std::string& plugin : flags.plugins) {
      paths.push_back(quoted(plugin));
      flags_given.push_back("--plugin " + plugin);
    }
    overrides.push_back({fmt::format("plugins=[{}]", fmt::join(paths, ", ")),
                         fmt::format("{}", fmt::join(flags_given, " "))});
  }
  for (const KeyFlag& f : kKeyFlags)
    if (given.count(f.flag))
      overrides.push_back({fmt::format("{}={}", f.key, flags.values.at(f.flag)),
                           fmt::format("--{} {}", f.flag, flags.values.at(f.flag))});
  for (const KeyFlag& f : kParameterFlags)
    for (const std::string& assignment : flags.parameters.at(f.flag)) {
      const auto equals = assignment.find('=');
      if (equals == std::string::npos || equals == 0)
        throw ConfigError(fmt::format("--{}: expected key=value, got '{}'", f.flag, assignment));
      overrides.push_back(
          {fmt::format("{}.{}", f.key, assignment), fmt::format("--{} {}", f.flag, assignment)});
    }
  return overrides;
}

// The experiment of `overrides` alone. Its errors name the flags as given (not
// the overrides they became), without the note on which trial of a plan failed.
Experiment one_trial(const std::vector<FlagOverride>& overrides) {
  try {
    return experiment_from_text("{}\n", "attnlab_train.yaml", assignments(overrides));
  } catch (const ConfigError& error) {
    throw naming_flags(error, overrides);
  }
}

// Before training, not after: where the checkpoint goes must be a folder that
// exists, outside any run's output directory (whose files are the run's).
void check_checkpoint_path(const std::string& checkpoint) {
  refuse_inside_a_run(checkpoint, "--checkpoint");
  const std::filesystem::path folder =
      std::filesystem::absolute(checkpoint).lexically_normal().parent_path();
  if (!std::filesystem::is_directory(folder))
    throw ConfigError(
        fmt::format("--checkpoint {}: the folder {} does not exist", checkpoint, folder.string()));
  if (std::filesystem::is_directory(checkpoint))
    throw ConfigError(
        fmt::format("--checkpoint {}: is a folder, expected a file name", checkpoint));
}

void print_record(const TrainRecord& r, int64_t log_every, int64_t steps) {
  if (r.step % log_every != 0 && r.step != steps && r.eval.empty()) return;
  fmt::print("step {:>6}  loss {:.4f}  lr {:.2e}  grad-norm {:.3f}", r.step, r.loss, r.lr,
             r.grad_norm);
  for (const Evaluation& e : r.eval) {
    fmt::print("  eval-loss {:.4f}  eval-accuracy {:.2f}%  exact-match {:.2f}%", e.loss,
               100.0 * e.accuracy, 100.0 * e.exact_match);
    if (!std::isnan(e.generation_accuracy))
      fmt::print("  generation-accuracy {:.2f}%", 100.0 * e.generation_accuracy);
  }
  fmt::print("\n");
  std::fflush(stdout);
}

}  // namespace

int run_train(const std::vector<std::string>& arguments) {
  TrainFlags flags;
  const bool help = std::find_if(arguments.begin(), arguments.end(), [](const std::string& a) {
                      return a == "--help" || a == "-h";
                    }) != arguments.end();
  const ConfigNode defaults = help ? schema_defaults() : ConfigNode::map();
  const po::options_description options = describe(flags, help ? &defaults : nullptr);
  po::variables_map given;
  po::store(po::command_line_parser(arguments).options(options).run(), given);
  if (given.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  po::notify(given);
  if (flags.log_every < 1) throw ConfigError("--log-every must be >= 1");
  if (!flags.checkpoint.empty()) check_checkpoint_path(flags.checkpoint);
  // Validated as any experiment is (schema, components, memory) before anything is built.
  const Experiment experiment = one_trial(overrides_of(flags, given));
  const BuiltTrial built = build_trial(experiment.trials.at(0).config);
  const TrialSpec& spec = built.spec;
  const std::unique_ptr<Task>& task = built.task;
  set_thread_count(spec.threads);
  Rng init_rng = seeded_rng(spec.train.seed, "init");
  const TaskModel model(spec.shape, spec.model, init_rng);
  if (!spec.train.init_from.empty())
    fmt::print("train.init_from: {}\n", load_initial_weights(model.module(), spec.train.init_from,
                                                             spec.train.init_from_strict)
                                            .account);
  const TransformerConfig& m = spec.model;
  // Arms of different layouts differ in size: the counts say by how much.
  int64_t parameters = 0, in_self_attention = 0;
  for (const auto& [name, tensor] : model.module().named_parameters()) {
    parameters += tensor.numel();
    if (name.find("self_attn.") != std::string::npos) in_self_attention += tensor.numel();
  }
  fmt::print(
      "attnlab train: task {} (length {}, vocabulary {}), {} d_model {} heads {} layers {} "
      "({}-LN, {} positions, {} attention, {} heads layout), {} parameters ({} in "
      "self-attention), {} steps of batch {}, seed {}, {} thread{}\n",
      spec.task.name, task->length(), task->vocab_size(), to_string(spec.shape), m.d_model, m.heads,
      spec.shape == ModelShape::encoder ? m.encoder_layers : m.decoder_layers, to_string(m.norm),
      m.positional.name, m.attention.name, m.head_layout.name, parameters, in_self_attention,
      spec.train.steps, spec.train.batch, spec.train.seed, spec.threads,
      spec.threads == 1 ? "" : "s");
  const auto start = std::chrono::steady_clock::now();
  const auto history = train(model, *task, spec.train, [&](const TrainRecord& r) {
    print_record(r, flags.log_every, spec.train.steps);
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("done in {:.1f} s: final loss {:.4f}, eval token accuracy {:.2f}%\n", seconds,
             history.back().loss, 100.0 * history.back().eval.at(0).accuracy);
  if (!flags.checkpoint.empty()) {
    save_checkpoint(model.module(), flags.checkpoint, to_yaml(experiment.trials.at(0).config));
    fmt::print("checkpoint written to {}\n", flags.checkpoint);
  }
  return 0;
}

}  // namespace attnlab::cli
