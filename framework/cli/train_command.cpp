// `attnlab train`: a decoder-only Transformer learns copy or reverse; the loss
// curve is printed as it trains.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <iostream>

#include "attnlab/error.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/plugin.hpp"
#include "attnlab/threads.hpp"
#include "attnlab/train/seeding.hpp"
#include "attnlab/train/trainer.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {
namespace {

struct TrainSettings {
  ComponentChoice task{"reverse", {}};
  std::unique_ptr<Task> built_task;
  TransformerConfig model;
  TrainOptions train;
  std::string norm = "pre", activation = "relu";
  int threads = available_cpus();
  int64_t log_every = 50;
  std::string checkpoint;
  std::vector<std::string> attention_parameters, positional_parameters,
      head_parameters;  // key=value
  std::vector<std::string> plugins, task_parameters;
};

po::options_description describe(TrainSettings& s) {
  po::options_description options("attnlab train options");
  options.add_options()("help,h", "show this text")(
      "task", po::value(&s.task.name)->default_value("reverse"),
      "task ('attnlab plugins' lists them)")(
      "task-param", po::value(&s.task_parameters)->composing(),
      "a parameter of the task as key=value, e.g. length=8 symbols=16 (repeatable)")(
      "d-model", po::value(&s.model.d_model)->default_value(64), "model width")(
      "heads", po::value(&s.model.heads)->default_value(4),
      "attention heads (must divide d-model)")(
      "layers", po::value(&s.model.decoder_layers)->default_value(2), "decoder blocks")(
      "ffn", po::value(&s.model.ffn_dim)->default_value(256), "feed-forward hidden width")(
      "norm", po::value(&s.norm)->default_value(s.norm), "pre | post LayerNorm placement")(
      "positional", po::value(&s.model.positional.name)->default_value("sinusoidal"),
      "positional encoding ('attnlab plugins' lists them)")(
      "positional-param", po::value(&s.positional_parameters)->composing(),
      "a parameter of the positional encoding as key=value (repeatable)")(
      "plugin", po::value(&s.plugins)->composing(),
      "load a plugin library before building the model (repeatable; ATTNLAB_PLUGIN_PATH is "
      "searched)")("head-layout", po::value(&s.model.head_layout.name)->default_value("mha"),
                   "mha | mqa | gqa (or a plugin's)")(
      "head-layout-param", po::value(&s.head_parameters)->composing(),
      "a parameter of the head layout as key=value, e.g. width=fixed, head_dim=16, groups=2")(
      "activation", po::value(&s.activation)->default_value(s.activation), "relu | gelu")(
      "attention", po::value(&s.model.attention.name)->default_value("softmax"),
      "attention variant ('attnlab plugins' lists them)")(
      "attention-param", po::value(&s.attention_parameters)->composing(),
      "a parameter of the attention variant as key=value (repeatable)")(
      "dropout", po::value(&s.model.dropout)->default_value(0.0f), "dropout probability")(
      "steps", po::value(&s.train.steps)->default_value(s.train.steps), "optimizer steps")(
      "batch", po::value(&s.train.batch)->default_value(s.train.batch), "sequences per step")(
      "lr", po::value(&s.train.lr)->default_value(s.train.lr), "peak learning rate (AdamW)")(
      "warmup", po::value(&s.train.warmup_steps)->default_value(s.train.warmup_steps),
      "linear warm-up steps before cosine decay")(
      "clip", po::value(&s.train.clip_norm)->default_value(s.train.clip_norm),
      "gradient-norm clip (0 = off)")("seed", po::value(&s.train.seed)->default_value(0),
                                      "seed of initialisation, data and dropout")(
      "threads", po::value(&s.threads)->default_value(s.threads),
      "threads (default: the CPUs this process may use)")(
      "log-every", po::value(&s.log_every)->default_value(s.log_every),
      "print the loss every N steps")("checkpoint", po::value(&s.checkpoint),
                                      "save the trained parameters to this HDF5 file");
  return options;
}

template <class Enum>
Enum parse_choice(const std::string& option, const std::string& value,
                  std::initializer_list<std::pair<const char*, Enum>> choices) {
  std::string names;
  for (const auto& [name, choice] : choices) {
    if (value == name) return choice;
    names += names.empty() ? name : std::string(" | ") + name;
  }
  throw ConfigError(fmt::format("--{}: '{}' is not one of {}", option, value, names));
}

void parse_assignments(const char* option, const std::vector<std::string>& assignments,
                       std::map<std::string, std::string>& into) {
  for (const std::string& assignment : assignments) {
    const auto equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0)
      throw ConfigError(fmt::format("--{}: expected key=value, got '{}'", option, assignment));
    into[assignment.substr(0, equals)] = assignment.substr(equals + 1);
  }
}

void resolve(TrainSettings& s) {
  for (const std::string& plugin : s.plugins) load_plugin(plugin);
  parse_assignments("attention-param", s.attention_parameters, s.model.attention.parameters);
  parse_assignments("positional-param", s.positional_parameters, s.model.positional.parameters);
  parse_assignments("head-layout-param", s.head_parameters, s.model.head_layout.parameters);
  parse_assignments("task-param", s.task_parameters, s.task.parameters);
  s.built_task = task_registry().create(s.task.name, s.task.parameters, {});
  if (!task_registry().find(s.task.name).capabilities.decoder)
    throw ConfigError(
        fmt::format("task '{}' cannot be posed to a decoder-only model", s.task.name));
  s.model.norm = parse_choice<NormPlacement>(
      "norm", s.norm, {{"pre", NormPlacement::pre}, {"post", NormPlacement::post}});
  s.model.activation = parse_choice<Activation>(
      "activation", s.activation, {{"relu", Activation::relu}, {"gelu", Activation::gelu}});
  s.model.vocab_size = s.built_task->vocab_size();
  s.model.max_length =
      std::max<int64_t>(s.model.max_length,
                        s.built_task->sequence_length(ModelShape::decoder, s.built_task->length()));
  s.model.validate();
  if (s.train.steps < 1 || s.train.batch < 1 || s.log_every < 1)
    throw ConfigError("--steps, --batch and --log-every must be >= 1");
  set_thread_count(s.threads);
}

void print_record(const TrainRecord& r, int64_t log_every, int64_t steps) {
  if (r.step % log_every != 0 && r.step != steps && r.eval.empty()) return;
  fmt::print("step {:>6}  loss {:.4f}  lr {:.2e}  grad-norm {:.3f}", r.step, r.loss, r.lr,
             r.grad_norm);
  for (const Evaluation& e : r.eval)
    fmt::print("  eval-loss {:.4f}  eval-accuracy {:.2f}%", e.loss, 100.0 * e.accuracy);
  fmt::print("\n");
  std::fflush(stdout);
}

}  // namespace

int run_train(const std::vector<std::string>& arguments) {
  TrainSettings s;
  const po::options_description options = describe(s);
  po::variables_map values;
  po::store(po::command_line_parser(arguments).options(options).run(), values);
  if (values.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  po::notify(values);
  resolve(s);
  Rng init_rng = seeded_rng(s.train.seed, "init");
  const TaskModel model(ModelShape::decoder, s.model,
                        init_rng);  // before printing: a bad configuration fails first
  fmt::print(
      "attnlab train: task {} (length {}, vocabulary {}), decoder-only d_model {} heads {} layers "
      "{} "
      "({}-LN, {} positions, {} attention), "
      "{} steps of batch {}, seed {}, {} threads\n",
      s.task.name, s.built_task->length(), s.built_task->vocab_size(), s.model.d_model,
      s.model.heads, s.model.decoder_layers, s.norm, s.model.positional.name,
      s.model.attention.name, s.train.steps, s.train.batch, s.train.seed, s.threads);
  const auto start = std::chrono::steady_clock::now();
  const auto history = train(model, *s.built_task, s.train, [&](const TrainRecord& r) {
    print_record(r, s.log_every, s.train.steps);
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("done in {:.1f} s: final loss {:.4f}, eval token accuracy {:.2f}%\n", seconds,
             history.back().loss, 100.0 * history.back().eval.at(0).accuracy);
  if (!s.checkpoint.empty()) {
    save_checkpoint(model.module(), s.checkpoint);
    fmt::print("checkpoint written to {}\n", s.checkpoint);
  }
  return 0;
}

}  // namespace attnlab::cli
