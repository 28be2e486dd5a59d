// The reference workload of shared/bench/peer_torch.py, run by attnlab: same
// sizes, same FLOP count, same RESULT line, so the two are compared as a ratio.
//   model: token embedding + sinusoidal PE, L pre-LN encoder blocks, final LN,
//          Linear(D, V); cross-entropy against the input reversed along T; AdamW.
#include <fmt/format.h>
#include <sys/resource.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <functional>
#include <iostream>

#include "attnlab/attention/multi_head_attention.hpp"
#include "attnlab/model/models.hpp"
#include "attnlab/nn/init.hpp"
#include "attnlab/ops.hpp"
#include "attnlab/process/allocator.hpp"
#include "attnlab/tensor_memory.hpp"
#include "attnlab/threads.hpp"
#include "attnlab/train/optimizer.hpp"
#include "attnlab/train/seeding.hpp"

namespace po = boost::program_options;
using namespace attnlab;

namespace {

struct Workload {
  std::string mode = "train";
  int64_t vocab = 64, d_model = 128, heads = 4, layers = 2, ffn = 512, seq = 64, batch = 32;
  float lr = 1e-3f;
  int threads = 2;
  int64_t warmup = -1, steps = -1;
  uint64_t seed = 0;
};

double seconds_per_step(const std::function<void()>& step, int64_t warmup, int64_t steps) {
  for (int64_t i = 0; i < warmup; ++i) step();
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < steps; ++i) step();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
         static_cast<double>(steps);
}

TransformerConfig model_config(const Workload& w) {
  TransformerConfig c;
  c.vocab_size = w.vocab;
  c.d_model = w.d_model;
  c.heads = w.heads;
  c.ffn_dim = w.ffn;
  c.encoder_layers = w.layers;
  c.num_classes = w.vocab;
  c.max_length = w.seq;
  return c;
}

// One fixed random batch; the target is the input reversed along T.
std::pair<TokenBatch, std::vector<int32_t>> fixed_batch(const Workload& w) {
  Rng rng = seeded_rng(w.seed, "bench-data");
  TokenBatch tokens{w.batch, w.seq, {}, {}};
  std::vector<int32_t> targets;
  for (int64_t i = 0; i < w.batch * w.seq; ++i)
    tokens.ids.push_back(static_cast<int32_t>(rng() % static_cast<uint64_t>(w.vocab)));
  for (int64_t b = 0; b < w.batch; ++b)
    for (int64_t t = 0; t < w.seq; ++t) targets.push_back(tokens.ids[b * w.seq + (w.seq - 1 - t)]);
  return {tokens, targets};
}

double mib(double bytes) {
  return bytes / (1 << 20);
}

double peak_resident_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024;
}

// What a train step holds against what it needs: parameters with their
// gradients and AdamW's two moments, and the activations a forward pass keeps
// for backward (what tensors hold after it and did not before), against the
// growth of the peak resident memory since the program started.
void print_memory(const Module& model, const std::function<Tensor()>& forward,
                  double resident_at_start) {
  double parameters = 0;
  for (const Tensor& p : model.parameters()) parameters += static_cast<double>(p.numel());
  const double parameter_bytes = 4 * sizeof(float) * parameters;
  const auto before = static_cast<double>(tensor_memory().live_bytes);
  const Tensor loss = forward();
  const TensorMemory after = tensor_memory();
  const double activation_bytes = static_cast<double>(after.live_bytes) - before;
  const double grown = peak_resident_bytes() - resident_at_start;
  fmt::print(
      "memory: peak RSS {:.1f} MiB ({:.1f} at start); parameters, gradients and AdamW moments "
      "{:.2f} MiB; activations kept for backward {:.2f} MiB; peak RSS growth / their sum = "
      "{:.2f} (tensors: at most {:.2f} MiB live, {:.2f} MiB parked for reuse)\n",
      mib(peak_resident_bytes()), mib(resident_at_start), mib(parameter_bytes),
      mib(activation_bytes), grown / (parameter_bytes + activation_bytes),
      mib(static_cast<double>(after.peak_live_bytes)),
      mib(static_cast<double>(after.parked_bytes)));
}

double run(const Workload& w, double& flops, double resident_at_start) {
  const double B = static_cast<double>(w.batch), T = static_cast<double>(w.seq),
               D = static_cast<double>(w.d_model);
  const double F = static_cast<double>(w.ffn), V = static_cast<double>(w.vocab),
               L = static_cast<double>(w.layers);
  const double attention_flops = 4 * B * T * T * D + 8 * B * T * D * D;
  const double forward_flops =
      L * (8 * B * T * D * D + 4 * B * T * T * D + 4 * B * T * D * F) + 2 * B * T * D * V;
  const bool train = w.mode == "train";
  const int64_t warmup = w.warmup >= 0 ? w.warmup : (train ? 10 : 20);
  const int64_t steps = w.steps >= 0 ? w.steps : (train ? 50 : 200);
  Rng rng = seeded_rng(w.seed, "init");
  if (w.mode == "attention") {
    const MultiHeadAttention mha(w.d_model, w.heads, 0.0f, rng);
    Tensor x = init::normal({w.batch, w.seq, w.d_model}, 1.0f, rng);
    NoGradGuard no_grad;
    flops = attention_flops;
    return seconds_per_step([&] { mha.forward(x, x, {}, {}); }, warmup, steps);
  }
  const EncoderClassifier model(model_config(w), ClassifierHead::token, rng);
  const auto [tokens, targets] = fixed_batch(w);
  if (!train) {
    NoGradGuard no_grad;
    flops = forward_flops;
    return seconds_per_step([&] { model.forward(tokens); }, warmup, steps);
  }
  AdamW optimizer(model.parameters());
  auto loss_of_batch = [&] { return ops::cross_entropy(model.forward(tokens), targets); };
  auto step = [&] {
    Tensor loss = loss_of_batch();
    loss.backward();
    optimizer.step(w.lr);
    optimizer.zero_grad();
    return loss.item();
  };
  const float first_loss = step();
  const double seconds = seconds_per_step([&] { step(); }, warmup, steps);
  print_memory(model, loss_of_batch, resident_at_start);
  NoGradGuard no_grad;
  fmt::print("loss: first step {:.4f} -> after {} steps {:.6f}\n", first_loss, 1 + warmup + steps,
             ops::cross_entropy(model.forward(tokens), targets).item());
  flops = 3 * forward_flops;
  return seconds;
}

}  // namespace

int main(int argc, char** argv) try {
  if (!retain_freed_memory())  // as attnlab itself runs
    throw std::runtime_error("the C library refused attnlab's allocator settings (mallopt)");
  const double resident_at_start = peak_resident_bytes();
  Workload w;
  po::options_description options(
      "attnlab_bench: the reference workload (defaults = shared/bench/peer_torch.py)");
  options.add_options()("help,h", "show this text")(
      "mode", po::value(&w.mode)->default_value(w.mode), "train | forward | attention")(
      "vocab", po::value(&w.vocab)->default_value(w.vocab), "")(
      "d-model", po::value(&w.d_model)->default_value(w.d_model), "")(
      "heads", po::value(&w.heads)->default_value(w.heads), "")(
      "layers", po::value(&w.layers)->default_value(w.layers), "")(
      "ffn", po::value(&w.ffn)->default_value(w.ffn), "")(
      "seq", po::value(&w.seq)->default_value(w.seq), "")(
      "batch", po::value(&w.batch)->default_value(w.batch), "")(
      "lr", po::value(&w.lr)->default_value(w.lr), "")(
      "threads", po::value(&w.threads)->default_value(w.threads), "")(
      "warmup", po::value(&w.warmup)->default_value(-1),
      "untimed steps (default 10 train, 20 others)")("steps",
                                                     po::value(&w.steps)->default_value(-1),
                                                     "timed steps (default 50 train, 200 others)")(
      "seed", po::value(&w.seed)->default_value(0), "");
  po::variables_map values;
  po::store(po::parse_command_line(argc, argv, options), values);
  if (values.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  po::notify(values);
  if (w.mode != "train" && w.mode != "forward" && w.mode != "attention")
    throw std::invalid_argument(
        fmt::format("--mode: '{}' is not one of train | forward | attention", w.mode));
  set_thread_count(w.threads);
  fmt::print("attnlab threads={} mode={} B={} T={} D={} H={} L={} F={} V={}\n", w.threads, w.mode,
             w.batch, w.seq, w.d_model, w.heads, w.layers, w.ffn, w.vocab);
  double flops = 0.0;
  const double sec = run(w, flops, resident_at_start);
  const double tokens = static_cast<double>(w.batch * w.seq);
  fmt::print("{:.3f} ms/step  {:.0f} tokens/s  {:.2f} GFLOP/s ({:.1f} MFLOP/step)\n", sec * 1e3,
             tokens / sec, flops / sec / 1e9, flops / 1e6);
  fmt::print(
      "RESULT mode={} threads={} impl=attnlab B={} T={} D={} H={} tokens_per_s={:.1f} "
      "ms_per_step={:.4f} gflops={:.3f}\n",
      w.mode, w.threads, w.batch, w.seq, w.d_model, w.heads, tokens / sec, sec * 1e3,
      flops / sec / 1e9);
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "attnlab_bench: error: {}\n", e.what());
  return 1;
}
