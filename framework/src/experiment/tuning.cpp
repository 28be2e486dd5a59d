#include "tuning.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "attnlab/error.hpp"
#include "attnlab/registry/parameters.hpp"
#include "attnlab/train/trainer.hpp"
#include "schema.hpp"

namespace attnlab {
namespace {

[[noreturn]] void fail(const SourceLocation& where, const std::string& key,
                       const std::string& what) {
  throw ConfigError(
      fmt::format("{}: {}: {}", where.str(), key.empty() ? "tune" : "tune." + key, what));
}

// The train keys a tuning may vary: what steers optimisation, not the seed or threads.
std::vector<std::string> tunable_keys() {
  std::vector<std::string> keys;
  for (const schema::KeySpec& spec : schema::trial_keys())
    if (spec.path.rfind("train.", 0) == 0 && spec.path != "train.seed" &&
        spec.path != "train.threads")
      keys.push_back(spec.path);
  return keys;
}

// tune.seeds: a list of distinct seeds >= 0; the command line's empty value
// (`-o tune.seeds=`) switches them off: the reported seeds select. A file's
// empty value is refused: there it is more likely a slip than a choice.
std::vector<uint64_t> selection_seeds(const ConfigNode& node) {
  if (node.location().on_command_line() && schema::switched_off(&node)) return {};
  if (!node.is_sequence() || node.items().empty())
    fail(node.location(), "seeds",
         fmt::format("found {}, expected a list of seeds (integers >= 0) that only select "
                     "(to select on the reported seeds, leave tune.seeds out, or -o tune.seeds=)",
                     node.is_sequence() ? "an empty list" : node.describe()));
  std::vector<uint64_t> seeds;
  for (const ConfigNode& item : node.items()) {
    const auto value = item.is_scalar() ? parse_parameter_value(ParameterType::integer, item.text())
                                        : std::nullopt;
    if (!value || std::get<int64_t>(*value) < 0)
      fail(item.location(), "seeds",
           fmt::format("found {}, expected an integer >= 0", item.describe()));
    const auto seed = static_cast<uint64_t>(std::get<int64_t>(*value));
    if (std::find(seeds.begin(), seeds.end(), seed) != seeds.end())
      fail(item.location(), "seeds", fmt::format("seed {} is listed twice", seed));
    seeds.push_back(seed);
  }
  return seeds;
}

std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  for (const Evaluation::Metric& metric : Evaluation::metrics())
    if (!metric.optional) names.push_back(metric.name);
  return names;
}

}  // namespace

std::optional<double> tuned_number(const std::string& value) {
  const std::optional<Parameters::Value> number =
      parse_parameter_value(ParameterType::number, value);
  if (!number) return std::nullopt;
  return std::get<double>(*number);
}

bool same_tuned_value(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const std::optional<double> x = tuned_number(a), y = tuned_number(b);
  return x && y && *x == *y;
}

const std::string* Tuning::listed(const std::string& value) const {
  const auto found = std::find_if(values.begin(), values.end(), [&](const std::string& listed) {
    return same_tuned_value(value, listed);
  });
  return found == values.end() ? nullptr : &*found;
}

bool Tuning::selects_only(uint64_t seed) const {
  return std::find(seeds.begin(), seeds.end(), seed) != seeds.end();
}

std::string Tuning::figure() const {
  return fmt::format("eval_{}[{}]", metric, kValidationSetting);
}

std::optional<Tuning> parse_tune(const ConfigNode* block) {
  if (schema::switched_off(block)) return std::nullopt;
  const std::vector<std::string> tunable = tunable_keys();
  if (!block->is_map())
    fail(block->location(), "",
         fmt::format("found {}, expected a block: one train key with a list of values, and "
                     "optionally select (e.g. {{train.lr: [0.001, 0.003, 0.01], select: loss}})",
                     block->describe()));
  Tuning tuning;
  const ConfigNode* values = nullptr;
  for (const ConfigNode::Entry& entry : block->entries()) {
    if (entry.key == "seeds") {
      tuning.seeds = selection_seeds(entry.value);
      continue;
    }
    if (entry.key == "select") {
      const std::vector<std::string> metrics = metric_names();
      if (!entry.value.is_scalar() ||
          std::find(metrics.begin(), metrics.end(), entry.value.text()) == metrics.end())
        fail(entry.value.location(), "select",
             fmt::format("found {}, expected one of {} (compared on the validation evaluation, "
                         "eval_<metric>[validation])",
                         entry.value.describe(), fmt::join(metrics, " | ")));
      tuning.metric = entry.value.text();
      continue;
    }
    if (std::find(tunable.begin(), tunable.end(), entry.key) == tunable.end())
      fail(entry.key_location, entry.key,
           fmt::format("unknown key; a tuning takes select, seeds and one of: {}",
                       fmt::join(tunable, ", ")));
    if (values != nullptr)
      fail(entry.key_location, entry.key,
           fmt::format("a second key to tune ({} is tuned already); tune one key, and vary "
                       "others with the ablation",
                       tuning.key));
    tuning.key = entry.key;
    values = &entry.value;
  }
  if (values == nullptr)
    fail(block->location(), "",
         fmt::format("no key to tune{}; expected one of: {}",
                     block->find("seeds") ? " (only seeds: tune.seeds set on an experiment "
                                            "without a tune: block?)"
                                          : "",
                     fmt::join(tunable, ", ")));
  if (!values->is_sequence() || values->items().size() < 2)
    fail(values->location(), tuning.key,
         fmt::format("found {}, expected a list of at least two values",
                     values->is_sequence() && values->items().size() == 1
                         ? std::string("a list of one value")
                         : values->describe()));
  for (const ConfigNode& value : values->items()) {
    if (!value.is_scalar())
      fail(value.location(), tuning.key,
           fmt::format("found {}, expected a value", value.describe()));
    for (const std::string& earlier : tuning.values)
      if (same_tuned_value(earlier, value.text()))
        fail(value.location(), tuning.key,
             earlier == value.text()
                 ? fmt::format("{} is listed twice", value.text())
                 : fmt::format("{} is {} again (the same number)", value.text(), earlier));
    tuning.values.push_back(value.text());
  }
  for (const Evaluation::Metric& metric : Evaluation::metrics())
    if (metric.name == tuning.metric) tuning.lower_is_better = metric.lower_is_better;
  return tuning;
}

void erase_tuned_key(ConfigNode& document, const std::string& key) {
  const auto dot = key.find('.');  // the tunable keys are all section.key
  if (ConfigNode* section = document.find(key.substr(0, dot)); section && section->is_map())
    section->erase(key.substr(dot + 1));
}

std::vector<Arm> tuned_arms(const Arm& arm, const Tuning& tuning, const ConfigNode& document) {
  for (const Assignment& assignment : arm.assignments)
    if (assignment.key == tuning.key)
      throw ConfigError(fmt::format(
          "{}: {}: is tuned (tune:), so an ablation arm cannot also set it; tune it or vary it, "
          "not both",
          assignment.key_location.str(), assignment.key));
  if (const ConfigNode* fixed = document.at_path(tuning.key))  // it would never be used
    throw ConfigError(fmt::format(
        "{}: {}: found {}, but it is tuned (tune:): every arm trains at each listed value, so "
        "this one would never be used; leave it out, or switch tuning off with -o tune=",
        fixed->location().str(), tuning.key, fixed->describe()));
  const ConfigNode* values = document.find("tune")->find(tuning.key);
  std::vector<Arm> arms;
  for (const ConfigNode& value : values->items()) {
    Arm tuned = arm;
    tuned.assignments.push_back({tuning.key, value.location(), value});
    arms.push_back(std::move(tuned));
  }
  // The arm's own value of a key, else the document's (nullptr: neither sets it).
  const auto value_of = [&](const std::string& key) -> const ConfigNode* {
    for (const Assignment& assignment : arm.assignments)
      if (assignment.key == key) return &assignment.value;
    return document.at_path(key);
  };
  const ConfigNode* validation = value_of("eval.validation_batches");
  if (validation != nullptr && validation->is_scalar() && validation->text() == "0")
    throw ConfigError(fmt::format(
        "{}: eval.validation_batches: found 0, but tune: selects on the validation evaluation "
        "(leave it out to use eval.batches)",
        validation->location().str()));
  if (validation == nullptr) {
    const ConfigNode* batches = value_of("eval.batches");
    const ConfigNode count = batches != nullptr
                                 ? *batches
                                 : ConfigNode::scalar(std::to_string(TrainOptions{}.eval_batches));
    for (Arm& tuned : arms)
      tuned.assignments.push_back({"eval.validation_batches", count.location(), count});
  }
  return arms;
}

}  // namespace attnlab
