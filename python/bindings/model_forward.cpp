// Model.run_with_cache: one forward pass that keeps the activations whose
// dotted names match the patterns given ('*' within a segment, '**' across
// segments: nn/dotted_pattern.hpp, the matcher of record: and patch), each with
// the dimension names and layer declared where it is recorded. The cache holds
// the tensors the pass computed, not copies: every array it gives is a
// read-only view of one of them (so is the returned logits array, which is the
// very tensor recorded as "logits").
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>
#include <set>

#include "arrays.hpp"
#include "attnlab/error.hpp"
#include "attnlab/nn/dotted_pattern.hpp"
#include "compute_lock.hpp"
#include "model_handle.hpp"
#include "tokens.hpp"

namespace attnlab::python {
namespace {

struct CachedTensor {
  std::string name;
  std::vector<std::string> dims;
  int64_t layer = -1;
  Tensor value;  // a handle on the pass's own tensor: it keeps the values alive
};

class ActivationCache {
 public:
  explicit ActivationCache(std::vector<CachedTensor> tensors) : tensors_(std::move(tensors)) {}

  const CachedTensor& at(const std::string& name) const {
    for (const CachedTensor& tensor : tensors_)
      if (tensor.name == name) return tensor;
    throw py::key_error(
        fmt::format("'{}' is not in this cache; it holds: {}", name, fmt::join(names(), ", ")));
  }
  bool contains(const std::string& name) const {
    return std::any_of(tensors_.begin(), tensors_.end(),
                       [&](const CachedTensor& t) { return t.name == name; });
  }
  std::vector<std::string> names() const {
    std::vector<std::string> all;
    for (const CachedTensor& tensor : tensors_) all.push_back(tensor.name);
    return all;
  }
  std::size_t size() const { return tensors_.size(); }

 private:
  std::vector<CachedTensor> tensors_;
};

// Keeps what matches, and remembers every name reported (for the message when
// a pattern matches none).
class CacheCollector final : public ActivationObserver {
 public:
  explicit CacheCollector(const std::vector<std::string>& patterns) : patterns_(patterns) {}

  void observe(const RecordedTensor& recorded, const Tensor& value) override {
    reported_.emplace(recorded.name);
    const bool wanted = std::any_of(patterns_.begin(), patterns_.end(), [&](const std::string& p) {
      return matches_dotted_pattern(p, recorded.name);
    });
    if (wanted)
      kept_.push_back({std::string(recorded.name),
                       {recorded.dimensions.begin(), recorded.dimensions.end()},
                       recorded.layer,
                       value});
  }

  /// ConfigError for a pattern that matched nothing the model reported.
  void check_every_pattern_matched() const {
    for (const std::string& pattern : patterns_) {
      const bool any = std::any_of(reported_.begin(), reported_.end(), [&](const std::string& n) {
        return matches_dotted_pattern(pattern, n);
      });
      if (!any)
        throw ConfigError(fmt::format(
            "names: '{}' matches no activation of this model ('*' stays within one dotted "
            "segment, '**' spans segments, e.g. '**.weights'); it reports: {}",
            pattern, fmt::join(reported_, ", ")));
    }
  }

  std::vector<CachedTensor> take() { return std::move(kept_); }

 private:
  const std::vector<std::string>& patterns_;
  std::set<std::string> reported_;
  std::vector<CachedTensor> kept_;
};

std::vector<std::string> patterns_of(const py::object& names) {
  if (names.is_none()) return {"**"};
  if (py::isinstance<py::str>(names)) return {names.cast<std::string>()};
  try {
    return names.cast<std::vector<std::string>>();
  } catch (const py::cast_error&) {
    throw ConfigError(fmt::format("names: found {}, expected a dotted pattern or a list of them",
                                  py::repr(names).cast<std::string>()));
  }
}

// The batch the model's shape reads: a decoder's input, an encoder's source,
// an encoder-decoder's source and target input.
TaskBatch batch_of(const ModelHandle& model, const py::object& tokens,
                   const py::object& target_input, const py::object& lengths) {
  const TrialSpec& spec = model.saved().spec();
  TaskBatch batch;
  TokenBatch& first = spec.shape == ModelShape::decoder ? batch.target_input : batch.source;
  first = token_batch(tokens, spec.model.vocab_size, "tokens");
  if (!lengths.is_none()) set_lengths(first, lengths, "lengths");
  if (spec.shape != ModelShape::encoder_decoder) {
    if (!target_input.is_none())
      throw ConfigError(fmt::format("target_input: a {} reads tokens alone; give it none",
                                    to_string(spec.shape)));
    return batch;
  }
  if (target_input.is_none())
    throw ConfigError(
        "target_input: an encoder-decoder reads a source (tokens) and the decoder's input "
        "(target_input, shifted right: the start token first); give both");
  batch.target_input = token_batch(target_input, spec.model.target_vocab(), "target_input");
  if (batch.target_input.batch != batch.source.batch)
    throw ConfigError(fmt::format("target_input: {} rows, but tokens (the source) has {}",
                                  batch.target_input.batch, batch.source.batch));
  return batch;
}

py::tuple run_with_cache(ModelHandle& model, const py::object& tokens, const py::object& names,
                         const py::object& target_input, const py::object& lengths) {
  const TaskBatch batch = batch_of(model, tokens, target_input, lengths);
  const std::vector<std::string> patterns = patterns_of(names);
  auto [logits, cached] = without_gil([&] {
    CacheCollector collector(patterns);
    NoGradGuard no_graph;
    Tensor output = model.saved().model().forward(batch, {.observer = &collector});
    collector.check_every_pattern_matched();
    return std::make_pair(output, collector.take());
  });
  return py::make_tuple(tensor_array(logits, false), ActivationCache(std::move(cached)));
}

py::tuple dims_tuple(const CachedTensor& tensor) {
  py::list dims;
  for (const std::string& dim : tensor.dims) dims.append(dim);
  return py::tuple(dims);
}

void bind_cache(py::module_& module) {
  py::class_<ActivationCache>(
      module, "ActivationCache",
      "The activations one forward pass recorded, by dotted name: cache[name] is a read-only "
      "float32 view of the pass's own tensor (no copy; .copy() to change one), cache.dims(name) "
      "its dimension names, cache.layer(name) the layer that made it (None outside layers).")
      .def("__getitem__",
           [](const ActivationCache& c, const std::string& name) {
             return tensor_array(c.at(name).value, false);
           })
      .def("__contains__", &ActivationCache::contains)
      .def("__len__", &ActivationCache::size)
      .def("__iter__", [](const ActivationCache& c) { return py::iter(py::cast(c.names())); })
      .def("keys", &ActivationCache::names, "The names held, in the order the pass made them.")
      .def(
          "items",
          [](const ActivationCache& c) {
            py::list pairs;
            for (const std::string& name : c.names())
              pairs.append(py::make_tuple(name, tensor_array(c.at(name).value, false)));
            return pairs;
          },
          "(name, array) of every tensor held, in the order the pass made them.")
      .def(
          "get",
          [](const ActivationCache& c, const std::string& name, py::object fallback) {
            return c.contains(name) ? py::object(tensor_array(c.at(name).value, false)) : fallback;
          },
          py::arg("name"), py::arg("default") = py::none(),
          "cache[name], or `default` when the pass recorded no such tensor.")
      .def("dims",
           [](const ActivationCache& c, const std::string& name) { return dims_tuple(c.at(name)); })
      .def("layer",
           [](const ActivationCache& c, const std::string& name) -> py::object {
             const int64_t layer = c.at(name).layer;
             return layer < 0 ? py::object(py::none()) : py::object(py::int_(layer));
           })
      .def("__repr__", [](const ActivationCache& c) {
        return fmt::format("<attnlab.ActivationCache of {} tensors>", c.size());
      });
}

}  // namespace

void bind_model_forward(py::module_& module, ModelClass& model) {
  bind_cache(module);
  model.def("run_with_cache", &run_with_cache, py::arg("tokens"), py::arg("names") = py::none(),
            py::arg("target_input") = py::none(), py::arg("lengths") = py::none(),
            "One forward pass without gradients, as the activation recorder runs it (randomized "
            "positions, if any, from its fixed stream): returns (logits, cache). tokens "
            "[batch, length] (or [length]: one row) are a decoder's input, an encoder's or "
            "encoder-decoder's source; an encoder-decoder also takes target_input [batch, T]; "
            "lengths [batch] marks right-padded rows of tokens. names: a dotted pattern or a "
            "list of them, as record.tensors takes them (None: every activation, '**'); one "
            "that matches nothing the model reports is a ConfigError. logits is a read-only "
            "view [batch, T, outputs] ([batch, classes] for a per-sequence encoder), the same "
            "memory as cache['logits'] when that is kept.");
}

}  // namespace attnlab::python
