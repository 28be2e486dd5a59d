// A small RAII wrapper over the HDF5 C API: what checkpoints, parity fixtures
// and recordings need. Created files use the 1.10 format (checksummed
// metadata), every non-scalar dataset carries Fletcher-32 checksums and a
// digest of the values it was given, and close() seals the attributes (the
// digests among them); verify() checks all of it, and reading a dataset checks
// its digest. Every HDF5 call of a write is checked, closes included. Paths are HDF5 paths
// ("group/sub/dataset"); intermediate groups are created on write. Failures throw IoError naming
// the file and the path; HDF5's own error printing is switched off.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/tensor.hpp"

namespace attnlab {

class Hdf5File {
 public:
  enum class Mode { read, create };  // create truncates an existing file

  Hdf5File(std::string path, Mode mode);
  ~Hdf5File();
  /// Switches HDF5's own error printing off for the calling thread (HDF5 keeps
  /// that setting per thread). Opening a file does it for its thread; a thread
  /// that uses a file opened by another calls this first.
  static void prepare_thread();
  Hdf5File(const Hdf5File&) = delete;
  Hdf5File& operator=(const Hdf5File&) = delete;

  const std::string& path() const { return path_; }
  bool contains(const std::string& object) const;
  /// True if `object` exists and is a group (not a dataset).
  bool is_group(const std::string& object) const;
  /// Names directly under a group, sorted.
  std::vector<std::string> children(const std::string& group) const;

  /// float32 dataset with the tensor's shape (a scalar tensor gives a scalar dataset).
  void write_tensor(const std::string& dataset, const Tensor& value);
  /// Any floating-point dataset, converted to float32.
  Tensor read_tensor(const std::string& dataset) const;
  void write_ints(const std::string& dataset, std::span<const int32_t> values, const Shape& shape);
  std::vector<int32_t> read_ints(const std::string& dataset) const;
  Shape dataset_shape(const std::string& dataset) const;

  /// A float32 dataset of `shape` filled later, `rows_per_write` rows of the first
  /// dimension at a time (write_rows); chunked in whole rows (about 256 KiB a
  /// chunk, aligned with the writes), checksummed, not compressed.
  void create_streamed(const std::string& dataset, const Shape& shape, int64_t rows_per_write);
  /// Writes `rows` ([n, ...] matching the dataset's trailing shape) at row `first`;
  /// each row once (rows never written read back as 0).
  void write_rows(const std::string& dataset, int64_t first, const Tensor& rows);
  /// Creates a group and any missing parents (no-op if it exists).
  void create_group(const std::string& group);
  /// A link at `link` to `object` inside another HDF5 file (path as stored, may be relative).
  void link_external(const std::string& link, const std::string& file, const std::string& object);

  void set_attribute(const std::string& object, const std::string& name, const std::string& value);
  void set_attribute(const std::string& object, const std::string& name, const char* value) {
    set_attribute(object, name, std::string(value));
  }
  void set_attribute(const std::string& object, const std::string& name, int64_t value);
  void set_attribute(const std::string& object, const std::string& name, double value);
  /// A 1-D array of strings (e.g. the dimension names of a dataset).
  void set_attribute(const std::string& object, const std::string& name,
                     const std::vector<std::string>& values);
  double number_attribute(const std::string& object, const std::string& name) const;
  std::string string_attribute(const std::string& object, const std::string& name) const;
  /// A 1-D array of strings (as the set_attribute overload for a vector writes one).
  std::vector<std::string> string_list_attribute(const std::string& object,
                                                 const std::string& name) const;
  int64_t int_attribute(const std::string& object, const std::string& name) const;
  bool has_attribute(const std::string& object, const std::string& name) const;
  /// Names of the attributes on an object, sorted.
  std::vector<std::string> attribute_names(const std::string& object) const;

  /// Writes pending data to disk; throws IoError if HDF5 cannot.
  void flush();
  /// Seals a created file (the digests of streamed datasets, then a digest of
  /// every attribute in the root attribute kSealAttribute), flushes and closes
  /// it, throwing IoError if HDF5 reports a failure (the destructor closes
  /// silently, unsealed). Nothing may be called afterwards.
  void close();

  /// Root attribute holding the digest of every other attribute (written by close()).
  static constexpr const char* kSealAttribute = "attnlab_seal";
  /// Root attribute: what the seal covers. 1 (or absent): the attributes; 2:
  /// also every link (path, type, target: none can be added) and a
  /// kDataDigestAttribute on every dataset, matching its values.
  static constexpr const char* kSealVersionAttribute = "attnlab_seal_version";
  static constexpr int64_t kSealVersion = 2;
  /// Dataset attribute: the digest of the values written (io/data_digest.hpp).
  static constexpr const char* kDataDigestAttribute = "attnlab_digest";
  /// Digest (16 hex digits) of every attribute of every object but the seal
  /// and, from seal version 2, of every link.
  std::string attributes_digest() const;
  /// Throws IoError naming the damage unless the seal matches the attributes and,
  /// with `datasets`, every dataset reads back (HDF5 checks each chunk's
  /// Fletcher-32) with the values its digest was computed from.
  void verify(bool datasets) const;

 private:
  int64_t open_dataset(const std::string& dataset) const;
  int64_t create_dataset(const std::string& dataset, int64_t type, const Shape& shape);
  void read_attribute(const std::string& object, const std::string& name, int64_t memory_type,
                      void* value, const char* what) const;
  void write_attribute(const std::string& object, const std::string& name, int64_t file_type,
                       int64_t memory_type, int64_t space, const void* data);
  void write_strings(const std::string& object, const std::string& name,
                     const std::vector<std::string>& values, bool array);
  void write_digest(const std::string& dataset, uint64_t digest);
  void write_streamed_digests();
  void check_digest(const std::string& dataset, const void* values, std::size_t count,
                    std::size_t element_bytes) const;
  [[noreturn]] void fail(const std::string& what, const std::string& object) const;
  [[noreturn]] void fail_write(const std::string& what, const std::string& object) const;

  // What was written so far of a streamed dataset: its digest needs every row.
  struct Streamed {
    uint64_t digest = 0;
    int64_t row_elements = 0;
    std::vector<bool> written;
  };

  std::string path_;
  Mode mode_;
  int64_t file_;
  std::map<std::string, Streamed> streamed_;
};

/// Creates the HDF5 file `path` atomically (io/atomic_file.hpp): `fill` writes
/// it under its temporary name, then it is sealed, closed with every result
/// checked and published; on any failure nothing is published and the
/// temporary is removed.
void write_hdf5_atomically(const std::filesystem::path& path,
                           const std::function<void(Hdf5File& file)>& fill);

/// Where the tensor of dotted name `dotted` (a parameter or an activation, e.g.
/// "decoder.layers.0.self_attn.weights") lives under `group`: each dotted
/// segment one HDF5 group, "group/decoder/layers/0/self_attn/weights".
std::string hdf5_path(std::string_view group, std::string_view dotted);

}  // namespace attnlab
