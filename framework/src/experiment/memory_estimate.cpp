#include "memory_estimate.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>

#include "attnlab/error.hpp"
#include "attnlab/model/layers.hpp"
#include "attnlab/model/positional_encoding.hpp"

namespace attnlab {
namespace {

constexpr double kFloat = 4;                // bytes of a float32
constexpr double kProcessBytes = 64 << 20;  // code, HDF5's caches, the allocator's pools

// Floats of the sizes every block shares (counted in floats, as doubles: no overflow).
struct Widths {
  double d, ffn, query, kv, query_heads;
  double kv_latent = 0;  // keys and values projected from a latent this wide (mla), or 0
};

// Activations of one attention block: T queries over S keys.
double attention_floats(const Widths& w, double batch, double t, double s) {
  return batch * t * (2 * w.query + 2 * w.d)   // queries, heads concatenated, output, residual
         + batch * s * 4 * w.kv                // keys and values, before and after the head split
         + 3 * batch * w.query_heads * t * s;  // scores, scores with bias/mask, weights
}

double feed_forward_floats(const Widths& w, double batch, double t) {
  return batch * t * (3 * w.ffn + 6 * w.d);  // hidden, activation, dropout; norms and residuals
}

// The activations of one forward pass at `length`: every layer's when they are
// kept for backward (training), else one layer's at a time (evaluation runs
// without gradients, and a layer's tensors are freed once the next has its input).
double forward_floats(const TrialSpec& spec, const Task& task, const Widths& w, int64_t length,
                      bool kept) {
  const auto batch = static_cast<double>(spec.train.batch);
  const auto t = static_cast<double>(task.sequence_length(spec.shape, length));
  const auto layers = static_cast<double>(spec.model.decoder_layers);
  const auto outputs = static_cast<double>(
      spec.shape == ModelShape::encoder ? spec.model.num_classes : spec.model.target_vocab());
  double floats = 2 * batch * t * w.d + 3 * batch * t * outputs;  // embeddings; logits and loss
  double block = attention_floats(w, batch, t, t) + feed_forward_floats(w, batch, t);
  if (spec.shape == ModelShape::encoder_decoder) {  // the encoder's output stays for every layer
    floats += batch * t * w.d;
    block += attention_floats(w, batch, t, t);  // a decoder layer cross-attends too
  }
  const double stacks = spec.shape == ModelShape::encoder_decoder ? 2 : 1;
  return floats + (kept ? stacks * layers * block : block);
}

double parameter_count(const TrialSpec& spec, const Widths& w) {
  const TransformerConfig& m = spec.model;
  // Keys and values from the input, or from a latent of it (a down-projection more).
  const double kv_source = w.kv_latent > 0 ? w.kv_latent : w.d;
  const double latent = w.kv_latent > 0 ? w.d * w.kv_latent + w.kv_latent : 0;
  const double attention =
      w.d * w.query + kv_source * 2 * w.kv + latent + w.query * w.d + w.query + 2 * w.kv + w.d;
  const double block = attention + 2 * w.d * w.ffn + w.ffn + 5 * w.d;
  const auto layers = static_cast<double>(m.decoder_layers);
  double count = layers * block;
  if (spec.shape == ModelShape::encoder_decoder) count += layers * (block + attention);
  const auto vocab = static_cast<double>(m.vocab_size);
  const auto outputs =
      static_cast<double>(spec.shape == ModelShape::encoder ? m.num_classes : m.target_vocab());
  count += vocab * w.d + (spec.shape == ModelShape::encoder_decoder ? outputs * w.d : 0);
  // A table as long as the positions drawn only for an encoding that embeds (learned).
  const bool embeds = positional_registry().find(m.positional.name).capabilities.embeddings;
  const auto table =
      static_cast<double>(embeds ? std::max(m.max_length, m.random_positions) : m.max_length);
  count += (w.d + 1) * outputs + table * w.d;  // head; position table
  return count;
}

uint64_t read_number(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max" || text.find_first_not_of("0123456789") != std::string::npos)
    return std::numeric_limits<uint64_t>::max();
  return std::stoull(text);
}

}  // namespace

double MemoryEstimate::total() const {
  return kProcessBytes + parameters_bytes + std::max(training_bytes, evaluation_bytes) +
         recording_bytes + snapshot_bytes;
}

std::vector<std::string> MemoryEstimate::driving_keys() const {
  if (snapshot_bytes > std::max({parameters_bytes, training_bytes, evaluation_bytes}))
    return {"record.every", "train.checkpoint_every", "train.steps"};
  if (recording_bytes > std::max({parameters_bytes, training_bytes, evaluation_bytes}))
    return {"record.examples", "record.tensors", "train.batch"};
  if (parameters_bytes >= std::max(training_bytes, evaluation_bytes))
    return {"model.d_model", "model.ffn", "model.layers"};
  if (evaluation_bytes > training_bytes) return {"eval.lengths", "train.batch"};
  return {"task.length", "train.batch", "model.d_model"};
}

std::string MemoryEstimate::describe() const {
  return fmt::format(
      "about {} (parameters, gradients and AdamW state {}; training activations {}; an "
      "evaluation at length {} {}{}{})",
      format_bytes(total()), format_bytes(parameters_bytes), format_bytes(training_bytes),
      longest_evaluation, format_bytes(evaluation_bytes),
      recording_bytes > 0 ? fmt::format("; recorded activations waiting to be written {}",
                                        format_bytes(recording_bytes))
                          : "",
      snapshot_bytes > 0 ? fmt::format("; snapshots' parameters kept for resume points {}",
                                       format_bytes(snapshot_bytes))
                         : "");
}

MemoryEstimate estimate_memory(const TrialSpec& spec, const Task& task) {
  const HeadDimensions heads = head_dimensions(spec.model);
  const Widths w{static_cast<double>(spec.model.d_model),
                 static_cast<double>(spec.model.ffn_dim),
                 static_cast<double>(heads.query_heads * heads.head_width),
                 static_cast<double>(heads.kv_heads * heads.head_width),
                 static_cast<double>(heads.query_heads),
                 static_cast<double>(heads.kv_latent)};
  MemoryEstimate estimate;
  estimate.parameters_bytes = 4 * kFloat * parameter_count(spec, w);  // weights, grads, m, v
  // Backward holds the forward's activations and their gradients.
  estimate.training_bytes = 2 * kFloat * forward_floats(spec, task, w, task.length(), true);
  const std::vector<int64_t>& lengths = spec.train.eval_lengths;
  estimate.longest_evaluation = *std::max_element(lengths.begin(), lengths.end());
  estimate.evaluation_bytes =
      kFloat * forward_floats(spec, task, w, estimate.longest_evaluation, false);
  if (!spec.record.tensors.empty()) {
    // Copies of every tensor of a snapshot queue for the writer, up to its limit
    // and one chunk of examples more (the recorder's), and stay parked for the next.
    const double per_example = kFloat * forward_floats(spec, task, w, task.length(), true) /
                               static_cast<double>(spec.train.batch);
    const auto examples = static_cast<double>(spec.record.examples);
    const double chunk = std::min(examples, static_cast<double>(spec.train.batch));
    estimate.recording_bytes =
        std::min(static_cast<double>(RecordOptions::kMostBytesWaiting), per_example * examples) +
        per_example * chunk;
  }
  const bool snapshots_kept = spec.train.checkpoint_every > 0 && spec.record.every > 0 &&
                              (!spec.record.tensors.empty() || spec.record.parameters);
  if (snapshots_kept)
    estimate.snapshot_bytes = kFloat * parameter_count(spec, w) *
                              static_cast<double>((spec.train.steps - 1) / spec.record.every);
  return estimate;
}

uint64_t available_memory_bytes() {
  uint64_t available = std::numeric_limits<uint64_t>::max();
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") available = kib * 1024;
  std::ifstream cgroup("/proc/self/cgroup");  // cgroup v2: "0::/path"
  for (std::string line; std::getline(cgroup, line);) {
    if (line.rfind("0::", 0) != 0) continue;
    const std::string folder = "/sys/fs/cgroup" + line.substr(3);
    const uint64_t limit = read_number(folder + "/memory.max");
    const uint64_t used = read_number(folder + "/memory.current");
    if (limit != std::numeric_limits<uint64_t>::max() && used <= limit)
      available = std::min(available, limit - used);
  }
  for (const int resource : {RLIMIT_AS, RLIMIT_DATA}) {  // ulimit -v / -d of this process
    rlimit limit{};
    if (::getrlimit(resource, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
      available = std::min<uint64_t>(available, limit.rlim_cur);
  }
  return available;
}

uint64_t parse_byte_size(const std::string& text, const std::string& what) {
  std::size_t end = 0;
  double value = -1;
  try {
    value = std::stod(text, &end);
  } catch (const std::exception&) {
  }
  std::string unit = text.substr(std::min(end, text.size()));
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::vector<std::pair<std::vector<std::string>, double>> units = {
      {{"", "B"}, 1},
      {{"K", "KB", "KIB"}, 1024.0},
      {{"M", "MB", "MIB"}, 1024.0 * 1024},
      {{"G", "GB", "GIB"}, 1024.0 * 1024 * 1024},
      {{"T", "TB", "TIB"}, 1024.0 * 1024 * 1024 * 1024}};
  for (const auto& [names, scale] : units)
    if (std::find(names.begin(), names.end(), unit) != names.end() && std::isfinite(value) &&
        value > 0 && value * scale < 1.8e19)
      return static_cast<uint64_t>(value * scale);
  throw ConfigError(
      fmt::format("{}: found '{}', expected a size such as 512M, 8G or 1.5GiB", what, text));
}

std::string format_bytes(double bytes) {
  const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 6) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.3g} {}", bytes, units[unit]);
}

}  // namespace attnlab
