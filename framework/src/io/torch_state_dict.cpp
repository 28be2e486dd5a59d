#include "attnlab/io/torch_state_dict.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

#include "zip_store.hpp"

namespace attnlab {
namespace {

static_assert(std::endian::native == std::endian::little,
              "torch's storages are written as the machine holds them: little-endian");

// The few pickle opcodes a state dict needs (protocol 2, no memo).
class PickleWriter {
 public:
  PickleWriter() { out_ += "\x80\x02"; }  // PROTO 2
  void mark() { out_ += '('; }
  void tuple() { out_ += 't'; }  // from the last mark
  void reduce() { out_ += 'R'; }
  void set_items() { out_ += 'u'; }  // from the last mark
  void persistent_id() { out_ += 'Q'; }
  void falsity() { out_ += '\x89'; }
  void global(const char* module, const char* name) {
    out_ += 'c';
    out_ += module;
    out_ += '\n';
    out_ += name;
    out_ += '\n';
  }
  void text(const std::string& value) {
    out_ += 'X';  // BINUNICODE: a 4-byte length, then UTF-8
    put_little(static_cast<uint32_t>(value.size()), 4);
    out_ += value;
  }
  void integer(int64_t value) {
    if (value >= 0 && value < 256) {
      out_ += 'K';  // BININT1
      put_little(static_cast<uint64_t>(value), 1);
    } else if (value >= INT32_MIN && value <= INT32_MAX) {
      out_ += 'J';  // BININT: 4 bytes, signed
      put_little(static_cast<uint32_t>(static_cast<int32_t>(value)), 4);
    } else {
      out_ += "\x8a\x08";  // LONG1 of 8 bytes, two's complement
      put_little(static_cast<uint64_t>(value), 8);
    }
  }
  void integers(const std::vector<int64_t>& values) {
    mark();
    for (const int64_t value : values) integer(value);
    tuple();
  }
  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    out_ += ')';  // EMPTY_TUPLE
    reduce();
  }
  std::string finish() { return out_ + '.'; }  // STOP

 private:
  void put_little(uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>(value >> (8 * i)));
  }
  std::string out_;
};

// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
// backward_hooks), its storage named by `key` for torch.load to fetch.
void rebuild_tensor(PickleWriter& pickle, const Tensor& tensor, const std::string& key) {
  pickle.global("torch._utils", "_rebuild_tensor_v2");
  pickle.mark();
  pickle.mark();  // the persistent id: ("storage", FloatStorage, key, "cpu", numel)
  pickle.text("storage");
  pickle.global("torch", "FloatStorage");
  pickle.text(key);
  pickle.text("cpu");
  pickle.integer(tensor.numel());
  pickle.tuple();
  pickle.persistent_id();
  pickle.integer(0);  // storage offset
  const Shape& shape = tensor.shape();
  std::vector<int64_t> strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  pickle.integers(std::vector<int64_t>(shape.begin(), shape.end()));
  pickle.integers(strides);
  pickle.falsity();             // requires_grad
  pickle.empty_ordered_dict();  // backward hooks
  pickle.tuple();
  pickle.reduce();
}

}  // namespace

std::string torch_state_dict_bytes(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                   const std::string& path) {
  PickleWriter pickle;
  pickle.empty_ordered_dict();
  std::vector<std::pair<std::string, std::string>> storages;
  if (!tensors.empty()) {
    pickle.mark();
    for (const auto& [name, tensor] : tensors) {
      const std::string key = std::to_string(storages.size());
      pickle.text(name);
      rebuild_tensor(pickle, tensor, key);
      std::string bytes(static_cast<std::size_t>(tensor.numel()) * sizeof(float), '\0');
      std::memcpy(bytes.data(), tensor.data(), bytes.size());
      storages.emplace_back("archive/data/" + key, std::move(bytes));
    }
    pickle.set_items();
  }
  std::vector<std::pair<std::string, std::string>> entries{{"archive/data.pkl", pickle.finish()},
                                                           {"archive/byteorder", "little"}};
  for (auto& storage : storages) entries.push_back(std::move(storage));
  entries.emplace_back("archive/version", "3\n");
  return detail::zip_store_bytes(entries, path);
}

}  // namespace attnlab
