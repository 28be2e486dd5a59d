#include "attnlab/io/hdf5_file.hpp"

#include <fmt/format.h>
#include <hdf5.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "data_digest.hpp"
#include "hdf5_handle.hpp"

namespace attnlab {
namespace {

using Handle = detail::Hdf5Handle;

// HDF5's clean-up at exit is off: it retries the close of a file whose close
// failed (a full disk) and crashes doing so. Every file attnlab writes is closed
// and checked explicitly; one still open at exit is one that already failed.
void prepare_hdf5_library() {
  static const bool done = [] { return H5dont_atexit() >= 0; }();
  (void)done;
  Hdf5File::prepare_thread();
}

herr_t collect_error(unsigned, const H5E_error2_t* error, void* data) {
  if (error->desc != nullptr) static_cast<std::vector<std::string>*>(data)->push_back(error->desc);
  return 0;
}

// ": why" from HDF5's error stack, innermost first: the system's message where a
// read or write failed (e.g. "No space left on device"), else HDF5's own; or "".
std::string hdf5_stack_reason() {
  std::vector<std::string> descriptions;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_error, &descriptions);
  H5Eclear2(H5E_DEFAULT);
  for (const std::string& text : descriptions) {
    const auto start = text.find("error message = '");
    if (start == std::string::npos) continue;
    const auto end = text.find('\'', start + 17);
    return ": " + text.substr(start + 17, end == std::string::npos ? end : end - start - 17);
  }
  return descriptions.empty() ? "" : ": " + descriptions.front();
}

// The stack's reason, and the system's when the stack does not carry it (HDF5
// reports some failed writes, e.g. of a new file's superblock, in its own words
// only). Callers of a write set errno to 0 before the call that failed.
std::string hdf5_reason(bool with_system_error) {
  const int system_error = with_system_error ? errno : 0;
  std::string reason = hdf5_stack_reason();
  if (system_error != 0 && reason.find(std::strerror(system_error)) == std::string::npos)
    reason += fmt::format("{}{}", reason.empty() ? ": " : " (", std::strerror(system_error)) +
              (reason.empty() ? "" : ")");
  return reason;
}

std::vector<hsize_t> dims_of(const Shape& shape) {
  return {shape.begin(), shape.end()};
}

}  // namespace

void Hdf5File::prepare_thread() {
  // In a thread-safe HDF5 build the setting is the calling thread's own.
  thread_local const bool done = H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0;
  (void)done;
}

Hdf5File::Hdf5File(std::string path, Mode mode) : path_(std::move(path)), mode_(mode) {
  prepare_hdf5_library();
  errno = 0;
  if (mode == Mode::read) {
    std::error_code error;
    const auto status = std::filesystem::status(path_, error);
    if (!std::filesystem::exists(status)) throw IoError(fmt::format("{}: no such file", path_));
    // A FIFO would block the open forever, a device or a folder is no HDF5 file.
    if (!std::filesystem::is_regular_file(status))
      throw IoError(
          fmt::format("{}: is not a regular file (a {}), so not an HDF5 file attnlab "
                      "wrote",
                      path_,
                      std::filesystem::is_directory(status) ? "folder"
                      : std::filesystem::is_fifo(status)    ? "FIFO"
                                                            : "device or socket"));
    file_ = H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  } else {
    std::error_code ignored;  // never written through a link left under the name
    std::filesystem::remove(path_, ignored);
    // The 1.10 format: the superblock, object headers and chunk indices carry
    // checksums that HDF5 verifies on every read (1.8's chunk B-trees do not).
    Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_libver_bounds(access.get(), H5F_LIBVER_V110, H5F_LIBVER_LATEST);
    file_ = H5Fcreate(path_.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, access.get());
  }
  if (file_ < 0)
    throw IoError(fmt::format("{}: cannot {} as HDF5{}", path_,
                              mode == Mode::read ? "open" : "create", hdf5_reason(true)));
}

Hdf5File::~Hdf5File() {
  if (file_ >= 0) H5Fclose(file_);
}

void Hdf5File::close() {
  if (mode_ == Mode::create) {
    write_streamed_digests();
    set_attribute("/", kSealVersionAttribute, kSealVersion);
    set_attribute("/", kSealAttribute, attributes_digest());
  }
  errno = 0;
  const herr_t flushed = H5Fflush(file_, H5F_SCOPE_GLOBAL);
  const std::string why = flushed < 0 ? hdf5_reason(true) : "";  // before close clears the stack
  const herr_t closed = H5Fclose(file_);
  file_ = -1;
  if (flushed < 0 || closed < 0)
    throw IoError(fmt::format("{}: cannot finish writing the file{}", path_,
                              flushed < 0 ? why : hdf5_reason(true)));
}

void Hdf5File::fail(const std::string& what, const std::string& object) const {
  throw IoError(fmt::format("{}: {} '{}'{}", path_, what, object, hdf5_reason(false)));
}

void Hdf5File::fail_write(const std::string& what, const std::string& object) const {
  // errno as the failed write left it (set to 0 before it): the system's word for it.
  throw IoError(fmt::format("{}: {} '{}'{}", path_, what, object, hdf5_reason(true)));
}

bool Hdf5File::contains(const std::string& object) const {
  // Every prefix must exist before the full path can be asked about.
  std::size_t next = 0;
  while (true) {
    next = object.find('/', next + 1);
    const std::string prefix = object.substr(0, next);
    if (prefix.empty()) return false;
    if (H5Lexists(file_, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (next == std::string::npos) return true;
  }
}

bool Hdf5File::is_group(const std::string& object) const {
  if (!contains(object)) return false;
  Handle group(H5Gopen2(file_, object.c_str(), H5P_DEFAULT), H5Gclose);
  return group.valid();
}

std::vector<std::string> Hdf5File::children(const std::string& group) const {
  Handle g(H5Gopen2(file_, group.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.valid()) fail("no group", group);
  H5G_info_t info;
  if (H5Gget_info(g.get(), &info) < 0) fail("cannot list group", group);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t length =
        H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (length < 0) fail("cannot list group", group);
    std::string name(static_cast<std::size_t>(length), '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size() + 1,
                       H5P_DEFAULT);
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Chunked with a Fletcher-32 checksum of each chunk, which HDF5 verifies when it
// reads the chunk: a flipped bit in the data is an error, never a wrong number.
// Chunks of whole trailing rows, at most about 1 MiB. A scalar or an empty
// dataset cannot be chunked and stays contiguous.
static hid_t checksummed_properties(const std::vector<hsize_t>& dims, std::size_t element_bytes) {
  const hid_t properties = H5Pcreate(H5P_DATASET_CREATE);
  if (dims.empty() || std::find(dims.begin(), dims.end(), 0) != dims.end()) return properties;
  std::vector<hsize_t> chunk = dims;
  hsize_t bytes = element_bytes;
  for (const hsize_t d : chunk) bytes *= d;
  for (std::size_t axis = 0; axis < chunk.size() && bytes > (1u << 20); ++axis) {
    const hsize_t others = bytes / chunk[axis];
    chunk[axis] = std::max<hsize_t>(1, (1u << 20) / std::max<hsize_t>(others, 1));
    bytes = others * chunk[axis];
  }
  H5Pset_chunk(properties, static_cast<int>(chunk.size()), chunk.data());
  H5Pset_fletcher32(properties);
  return properties;
}

int64_t Hdf5File::create_dataset(const std::string& dataset, int64_t type, const Shape& shape) {
  Handle links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(links.get(), 1);
  const auto dims = dims_of(shape);
  Handle space(shape.empty()
                   ? H5Screate(H5S_SCALAR)
                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               H5Sclose);
  Handle properties(checksummed_properties(dims, H5Tget_size(type)), H5Pclose);
  errno = 0;
  const hid_t id = H5Dcreate2(file_, dataset.c_str(), type, space.get(), links.get(),
                              properties.get(), H5P_DEFAULT);
  if (id < 0) fail_write("cannot create dataset", dataset);
  return id;
}

int64_t Hdf5File::open_dataset(const std::string& dataset) const {
  if (!contains(dataset)) fail("no dataset", dataset);
  const hid_t id = H5Dopen2(file_, dataset.c_str(), H5P_DEFAULT);
  if (id < 0) fail("cannot open dataset", dataset);
  return id;
}

Shape Hdf5File::dataset_shape(const std::string& dataset) const {
  Handle d(open_dataset(dataset), H5Dclose);
  Handle space(H5Dget_space(d.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return {dims.begin(), dims.end()};
}

void Hdf5File::write_tensor(const std::string& dataset, const Tensor& value) {
  Handle d(create_dataset(dataset, H5T_IEEE_F32LE, value.shape()), H5Dclose);
  errno = 0;
  if (H5Dwrite(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, value.data()) < 0 ||
      !d.close())  // the close writes the cached chunks
    fail_write("cannot write dataset", dataset);
  write_digest(dataset, detail::data_digest(value.data(), static_cast<std::size_t>(value.numel()),
                                            sizeof(float), 0));
}

Tensor Hdf5File::read_tensor(const std::string& dataset) const {
  const Shape shape = dataset_shape(dataset);
  Handle d(open_dataset(dataset), H5Dclose);
  Handle type(H5Dget_type(d.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_FLOAT) fail("expected a floating-point dataset at", dataset);
  Tensor t = Tensor::zeros(shape);
  if (H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data()) < 0)
    fail("cannot read dataset", dataset);
  if (H5Tget_size(type.get()) == sizeof(float))  // the values as stored: the digest applies
    check_digest(dataset, t.data(), static_cast<std::size_t>(t.numel()), sizeof(float));
  return t;
}

void Hdf5File::write_ints(const std::string& dataset, std::span<const int32_t> values,
                          const Shape& shape) {
  if (static_cast<int64_t>(values.size()) != element_count(shape))
    fail(fmt::format("{} values do not fill {} for dataset", values.size(), shape_string(shape)),
         dataset);
  Handle d(create_dataset(dataset, H5T_STD_I32LE, shape), H5Dclose);
  errno = 0;
  if (H5Dwrite(d.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0 ||
      !d.close())
    fail_write("cannot write dataset", dataset);
  write_digest(dataset, detail::data_digest(values.data(), values.size(), sizeof(int32_t), 0));
}

std::vector<int32_t> Hdf5File::read_ints(const std::string& dataset) const {
  const Shape shape = dataset_shape(dataset);
  Handle d(open_dataset(dataset), H5Dclose);
  Handle type(H5Dget_type(d.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_INTEGER) fail("expected an integer dataset at", dataset);
  std::vector<int32_t> values(static_cast<std::size_t>(element_count(shape)));
  if (H5Dread(d.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
    fail("cannot read dataset", dataset);
  if (H5Tget_size(type.get()) == sizeof(int32_t))
    check_digest(dataset, values.data(), values.size(), sizeof(int32_t));
  return values;
}

void Hdf5File::set_attribute(const std::string& object, const std::string& name,
                             const std::string& value) {
  write_strings(object, name, {value}, false);
}

void Hdf5File::set_attribute(const std::string& object, const std::string& name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  write_attribute(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space.get(), &value);
}

void Hdf5File::write_attribute(const std::string& object, const std::string& name,
                               int64_t file_type, int64_t memory_type, int64_t space,
                               const void* data) {
  errno = 0;
  if (H5Aexists_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT) > 0 &&
      H5Adelete_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT) < 0)
    fail_write(fmt::format("cannot replace attribute '{}' on", name), object);
  Handle attr(H5Acreate_by_name(file_, object.c_str(), name.c_str(), file_type, space, H5P_DEFAULT,
                                H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), memory_type, data) < 0 || !attr.close())
    fail_write(fmt::format("cannot write attribute '{}' on", name), object);
}

bool Hdf5File::has_attribute(const std::string& object, const std::string& name) const {
  if (object != "/" && !contains(object)) return false;
  return H5Aexists_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> Hdf5File::attribute_names(const std::string& object) const {
  H5O_info_t info;
  if (H5Oget_info_by_name(file_, object.c_str(), &info, H5P_DEFAULT) < 0) fail("no object", object);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    const ssize_t length = H5Aget_name_by_idx(file_, object.c_str(), H5_INDEX_NAME, H5_ITER_INC, i,
                                              nullptr, 0, H5P_DEFAULT);
    if (length < 0) fail("cannot list attributes of", object);
    std::string name(static_cast<std::size_t>(length), '\0');
    H5Aget_name_by_idx(file_, object.c_str(), H5_INDEX_NAME, H5_ITER_INC, i, name.data(),
                       name.size() + 1, H5P_DEFAULT);
    names.push_back(name);
  }
  return names;
}

std::string Hdf5File::string_attribute(const std::string& object, const std::string& name) const {
  if (!has_attribute(object, name)) fail(fmt::format("no attribute '{}' on", name), object);
  Handle attr(H5Aopen_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Sget_simple_extent_npoints(space.get()) != 1)
    fail(fmt::format("attribute '{}' is not a string on", name), object);
  if (H5Tis_variable_str(type.get()) > 0) {
    char* text = nullptr;
    Handle memory(H5Tget_native_type(type.get(), H5T_DIR_ASCEND), H5Tclose);
    if (H5Aread(attr.get(), memory.get(), &text) < 0)
      fail(fmt::format("cannot read attribute '{}' on", name), object);
    std::string value = text ? text : "";
    H5free_memory(text);
    return value;
  }
  std::string value(H5Tget_size(type.get()), '\0');
  if (H5Aread(attr.get(), type.get(), value.data()) < 0)
    fail(fmt::format("cannot read attribute '{}' on", name), object);
  value.erase(std::find(value.begin(), value.end(), '\0'), value.end());
  return value;
}

std::vector<std::string> Hdf5File::string_list_attribute(const std::string& object,
                                                         const std::string& name) const {
  if (!has_attribute(object, name)) fail(fmt::format("no attribute '{}' on", name), object);
  Handle attr(H5Aopen_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0 ||
      H5Sget_simple_extent_ndims(space.get()) != 1)
    fail(fmt::format("attribute '{}' is not a list of strings on", name), object);
  hsize_t count = 0;
  H5Sget_simple_extent_dims(space.get(), &count, nullptr);
  std::vector<char*> texts(count, nullptr);
  Handle memory(H5Tget_native_type(type.get(), H5T_DIR_ASCEND), H5Tclose);
  if (count > 0 && H5Aread(attr.get(), memory.get(), texts.data()) < 0)
    fail(fmt::format("cannot read attribute '{}' on", name), object);
  std::vector<std::string> values;
  for (char* text : texts) {
    values.emplace_back(text ? text : "");
    H5free_memory(text);
  }
  return values;
}

int64_t Hdf5File::int_attribute(const std::string& object, const std::string& name) const {
  int64_t value = 0;
  read_attribute(object, name, H5T_NATIVE_INT64, &value, "an integer");
  return value;
}

void Hdf5File::read_attribute(const std::string& object, const std::string& name,
                              int64_t memory_type, void* value, const char* what) const {
  if (!has_attribute(object, name)) fail(fmt::format("no attribute '{}' on", name), object);
  Handle attr(H5Aopen_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  // One value is read into one variable: an array would overrun it.
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1)
    fail(fmt::format("attribute '{}' holds {} values, expected one ({}) on", name,
                     H5Sget_simple_extent_npoints(space.get()), what),
         object);
  if (H5Aread(attr.get(), memory_type, value) < 0)
    fail(fmt::format("attribute '{}' is not {} on", name, what), object);
}

void Hdf5File::create_streamed(const std::string& dataset, const Shape& shape,
                               int64_t rows_per_write) {
  if (shape.empty()) fail("a streamed dataset needs at least one dimension:", dataset);
  Handle links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(links.get(), 1);
  const auto dims = dims_of(shape);
  // Chunks of whole rows, about 256 KiB each (HDF5's chunk cache holds 1 MiB),
  // aligned with the writes so that no chunk is read back to be completed: a
  // multiple of rows_per_write, or a divisor of it. Not compressed: deflate took
  // twice the training time of experiments/attention_maps.yaml for files 1.4
  // times smaller (docs/performance.md); h5repack compresses a finished file,
  // whose values, digests and seal stay valid (docs/hdf5-layout.md: the options).
  std::vector<hsize_t> chunk = dims;
  for (hsize_t& d : chunk) d = std::max<hsize_t>(d, 1);
  hsize_t row_bytes = sizeof(float);
  for (std::size_t i = 1; i < chunk.size(); ++i) row_bytes *= chunk[i];
  const hsize_t target = std::max<hsize_t>(1, (256 * 1024) / row_bytes);
  const auto writes = static_cast<hsize_t>(std::max<int64_t>(rows_per_write, 1));
  hsize_t rows = target >= writes ? writes * (target / writes) : 1;
  if (target < writes)
    for (hsize_t d = target; d >= 1; --d)
      if (writes % d == 0) {
        rows = d;
        break;
      }
  chunk[0] = std::min(rows, chunk[0]);
  Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(properties.get(), static_cast<int>(chunk.size()), chunk.data());
  H5Pset_fletcher32(properties.get());  // last: it checks the bytes as stored
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  errno = 0;
  Handle d(H5Dcreate2(file_, dataset.c_str(), H5T_IEEE_F32LE, space.get(), links.get(),
                      properties.get(), H5P_DEFAULT),
           H5Dclose);
  if (!d.valid() || !d.close()) fail_write("cannot create dataset", dataset);
  Streamed& streamed = streamed_[dataset];
  streamed.row_elements = element_count(shape) / std::max<int64_t>(shape[0], 1);
  streamed.written.assign(static_cast<std::size_t>(shape[0]), false);
}

void Hdf5File::write_rows(const std::string& dataset, int64_t first, const Tensor& rows) {
  const Shape shape = dataset_shape(dataset);
  const Shape& given = rows.shape();
  if (given.size() != shape.size() ||
      !std::equal(given.begin() + 1, given.end(), shape.begin() + 1) || first < 0 ||
      first + given[0] > shape[0])
    fail(fmt::format("rows {} at row {} do not fit {} of dataset", shape_string(given), first,
                     shape_string(shape)),
         dataset);
  Handle d(open_dataset(dataset), H5Dclose);
  Handle file_space(H5Dget_space(d.get()), H5Sclose);
  std::vector<hsize_t> start(shape.size(), 0), count = dims_of(given);
  start[0] = static_cast<hsize_t>(first);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                      nullptr);
  Handle memory_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
                      H5Sclose);
  errno = 0;
  if (H5Dwrite(d.get(), H5T_NATIVE_FLOAT, memory_space.get(), file_space.get(), H5P_DEFAULT,
               rows.data()) < 0 ||
      !d.close())
    fail_write("cannot write rows of dataset", dataset);
  const auto streamed = streamed_.find(dataset);
  if (streamed == streamed_.end()) return;  // not created by this object: no digest to keep
  Streamed& s = streamed->second;
  for (int64_t row = first; row < first + given[0]; ++row) {
    if (s.written[static_cast<std::size_t>(row)])
      fail(fmt::format("row {} written twice to dataset", row), dataset);
    s.written[static_cast<std::size_t>(row)] = true;
  }
  s.digest += detail::data_digest(rows.data(), static_cast<std::size_t>(rows.numel()),
                                  sizeof(float), static_cast<uint64_t>(first * s.row_elements));
}

void Hdf5File::create_group(const std::string& group) {
  if (group == "/" || contains(group)) return;
  Handle links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(links.get(), 1);
  errno = 0;
  Handle g(H5Gcreate2(file_, group.c_str(), links.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g.valid() || !g.close()) fail_write("cannot create group", group);
}

void Hdf5File::link_external(const std::string& link, const std::string& file,
                             const std::string& object) {
  Handle links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(links.get(), 1);
  errno = 0;
  if (H5Lcreate_external(file.c_str(), object.c_str(), file_, link.c_str(), links.get(),
                         H5P_DEFAULT) < 0)
    fail_write(fmt::format("cannot link to {}:{} at", file, object), link);
}

void Hdf5File::set_attribute(const std::string& object, const std::string& name, double value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  write_attribute(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(), &value);
}

// Variable-length UTF-8 strings: h5py reads them as str (fixed-length ones come back as bytes).
void Hdf5File::set_attribute(const std::string& object, const std::string& name,
                             const std::vector<std::string>& values) {
  write_strings(object, name, values, true);
}

void Hdf5File::write_strings(const std::string& object, const std::string& name,
                             const std::vector<std::string>& values, bool array) {
  std::vector<const char*> pointers;
  for (const std::string& value : values) pointers.push_back(value.c_str());
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const hsize_t count = values.size();
  Handle space(array ? H5Screate_simple(1, &count, nullptr) : H5Screate(H5S_SCALAR), H5Sclose);
  const char* none = "";  // HDF5 wants a buffer even for an empty array
  write_attribute(object, name, type.get(), type.get(), space.get(),
                  pointers.empty() ? static_cast<const void*>(&none) : pointers.data());
}

double Hdf5File::number_attribute(const std::string& object, const std::string& name) const {
  double value = 0.0;
  read_attribute(object, name, H5T_NATIVE_DOUBLE, &value, "a number");
  return value;
}

void Hdf5File::flush() {
  errno = 0;
  if (H5Fflush(file_, H5F_SCOPE_GLOBAL) < 0)
    throw IoError(fmt::format("{}: cannot write to disk{}", path_, hdf5_reason(true)));
}

void Hdf5File::write_digest(const std::string& dataset, uint64_t digest) {
  set_attribute(dataset, kDataDigestAttribute, detail::digest_text(digest));
}

// Rows never written read back as 0, and count as such.
void Hdf5File::write_streamed_digests() {
  for (auto& [dataset, s] : streamed_) {
    for (std::size_t row = 0; row < s.written.size(); ++row)
      if (!s.written[row])
        s.digest += detail::zeros_digest(static_cast<uint64_t>(s.row_elements),
                                         row * static_cast<uint64_t>(s.row_elements));
    write_digest(dataset, s.digest);
  }
  streamed_.clear();
}

void Hdf5File::check_digest(const std::string& dataset, const void* values, std::size_t count,
                            std::size_t element_bytes) const {
  if (!has_attribute(dataset, kDataDigestAttribute)) return;  // written before digests
  if (detail::digest_text(detail::data_digest(values, count, element_bytes, 0)) !=
      string_attribute(dataset, kDataDigestAttribute))
    throw IoError(fmt::format(
        "{}: damaged: dataset '{}' does not hold the values it was written with (its digest "
        "differs)",
        path_, dataset));
}

void write_hdf5_atomically(const std::filesystem::path& path,
                           const std::function<void(Hdf5File& file)>& fill) {
  write_atomically(path, [&](const std::filesystem::path& temporary) {
    Hdf5File file(temporary.string(), Hdf5File::Mode::create);
    fill(file);
    file.close();  // throws if HDF5 could not finish: nothing is published then
  });
}

std::string hdf5_path(std::string_view group, std::string_view dotted) {
  std::string path = fmt::format("{}/{}", group, dotted);
  std::replace(path.begin() + static_cast<std::ptrdiff_t>(group.size()) + 1, path.end(), '.', '/');
  return path;
}

}  // namespace attnlab
