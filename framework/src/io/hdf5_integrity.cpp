// Detecting damage in HDF5 files attnlab wrote. HDF5 checks what it can: the
// metadata of the 1.8 format carries checksums, and every chunked dataset a
// Fletcher-32 checksum per chunk (hdf5_file.cpp). What it cannot check are the
// values of variable-length strings, which live in a global heap without one:
// the configuration and the status of a trial. So a file attnlab wrote is
// sealed when it is closed: a 64-bit FNV-1a digest over every attribute of
// every object (path, name, type and value) is stored in the root attribute
// `attnlab_seal`, and verify() recomputes it. Since seal version 2 every
// dataset also carries the digest of the values it was given (data_digest.hpp),
// so a chunk HDF5 failed to write, which reads back as zeros without a checksum
// error, is damage too.
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "attnlab/error.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "data_digest.hpp"
#include "hdf5_handle.hpp"

namespace attnlab {
namespace {

using Handle = detail::Hdf5Handle;

class Digest {
 public:
  void add(const void* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
      hash_ ^= static_cast<const unsigned char*>(data)[i];
      hash_ *= 1099511628211ull;
    }
  }
  void add(const std::string& text) { add(text.data(), text.size() + 1); }  // with its NUL
  std::string hex() const { return fmt::format("{:016x}", hash_); }

 private:
  uint64_t hash_ = 1469598103934665603ull;
};

herr_t collect_object(hid_t, const char* name, const H5O_info_t* info, void* data) {
  auto& objects = *static_cast<std::vector<std::pair<std::string, H5O_type_t>>*>(data);
  objects.emplace_back(name, info->type);
  return 0;
}

struct Link {
  std::string path;
  H5L_type_t type;
  std::string target;  // a soft link's path; an external link's file, NUL, object
};

herr_t collect_link(hid_t group, const char* name, const H5L_info_t* info, void* data) {
  Link link{name, info->type, ""};
  if (info->type == H5L_TYPE_SOFT || info->type == H5L_TYPE_EXTERNAL) {
    std::vector<char> value(info->u.val_size + 1, '\0');
    if (H5Lget_val(group, name, value.data(), value.size(), H5P_DEFAULT) < 0) return -1;
    if (info->type == H5L_TYPE_SOFT) {
      link.target = value.data();
    } else {
      const char* file = nullptr;
      const char* object = nullptr;
      unsigned flags = 0;
      if (H5Lunpack_elink_val(value.data(), info->u.val_size, &flags, &file, &object) < 0)
        return -1;
      link.target = std::string(file) + '\0' + object;
    }
  }
  static_cast<std::vector<Link>*>(data)->push_back(std::move(link));
  return 0;
}

// Every link of the file by path, sorted: the structure the seal vouches for from
// seal version 2 on, so that a link added (soft, external, or a second hard link
// to an object) is damage, not another path to data a reader would follow.
std::vector<Link> links_of(hid_t file, const std::string& path) {
  std::vector<Link> links;
  if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_link, &links) < 0)
    throw IoError(fmt::format("{}: damaged: its links cannot be listed", path));
  std::sort(links.begin(), links.end(),
            [](const Link& a, const Link& b) { return a.path < b.path; });
  return links;
}

// Every group and dataset reachable by hard links, "." (the root) first, sorted.
std::vector<std::pair<std::string, H5O_type_t>> objects_of(hid_t file, const std::string& path) {
  std::vector<std::pair<std::string, H5O_type_t>> objects;
  if (H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, collect_object, &objects, H5O_INFO_BASIC) < 0)
    throw IoError(fmt::format("{}: damaged: its objects cannot be listed", path));
  std::sort(objects.begin() + (objects.empty() ? 0 : 1), objects.end());
  return objects;
}

// An attribute's value as bytes: the stored little-endian bytes, or each string.
void digest_attribute(hid_t attribute, Digest& digest) {
  Handle type(H5Aget_type(attribute), H5Tclose);
  Handle space(H5Aget_space(attribute), H5Sclose);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (!type.valid() || count < 0) throw Error("unreadable attribute");
  const H5T_class_t type_class = H5Tget_class(type.get());
  digest.add(&type_class, sizeof type_class);
  if (count == 0) return;  // HDF5 refuses to read into the empty buffer
  if (type_class == H5T_STRING && H5Tis_variable_str(type.get()) > 0) {
    std::vector<char*> texts(static_cast<std::size_t>(count), nullptr);
    Handle memory(H5Tget_native_type(type.get(), H5T_DIR_ASCEND), H5Tclose);
    const herr_t read = H5Aread(attribute, memory.get(), texts.data());
    for (char* text : texts) {
      if (read >= 0) digest.add(text ? std::string(text) : std::string());
      H5free_memory(text);
    }
    if (read < 0) throw Error("unreadable attribute");
    return;
  }
  std::vector<unsigned char> bytes(H5Tget_size(type.get()) * static_cast<std::size_t>(count));
  if (H5Aread(attribute, type.get(), bytes.data()) < 0) throw Error("unreadable attribute");
  digest.add(bytes.data(), bytes.size());
}

// Reads a dataset back in blocks of rows (HDF5 checks each chunk's checksum);
// `digest` gets the digest of its values as stored.
bool dataset_reads_back(hid_t file, const std::string& name, uint64_t& digest) {
  digest = 0;
  Handle dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) return false;
  Handle type(H5Dget_type(dataset.get()), H5Tclose);
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (!type.valid() || rank < 0) return false;
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  hsize_t row_elements = 1;
  for (int axis = 1; axis < rank; ++axis) row_elements *= dims[static_cast<std::size_t>(axis)];
  const std::size_t element_bytes = H5Tget_size(type.get());
  if (rank == 0) {
    std::vector<unsigned char> value(element_bytes);
    if (H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, value.data()) < 0)
      return false;
    digest = detail::data_digest(value.data(), 1, element_bytes, 0);
    return true;
  }
  const hsize_t rows_per_block =
      std::max<hsize_t>(1, (16u << 20) / std::max<hsize_t>(1, row_elements * element_bytes));
  std::vector<unsigned char> buffer;
  for (hsize_t first = 0; first < dims[0]; first += rows_per_block) {
    std::vector<hsize_t> start(dims.size(), 0), count = dims;
    start[0] = first;
    count[0] = std::min(rows_per_block, dims[0] - first);
    buffer.resize(count[0] * row_elements * element_bytes);
    Handle slab(H5Scopy(space.get()), H5Sclose);
    H5Sselect_hyperslab(slab.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
    Handle memory(H5Screate_simple(rank, count.data(), nullptr), H5Sclose);
    if (H5Dread(dataset.get(), type.get(), memory.get(), slab.get(), H5P_DEFAULT, buffer.data()) <
        0)
      return false;
    digest += detail::data_digest(buffer.data(), count[0] * row_elements, element_bytes,
                                  first * row_elements);
  }
  return true;
}

}  // namespace

std::string Hdf5File::attributes_digest() const {
  Digest digest;
  const bool with_links =
      has_attribute("/", kSealVersionAttribute) && int_attribute("/", kSealVersionAttribute) >= 2;
  if (with_links)
    for (const Link& link : links_of(file_, path_)) {
      digest.add(link.path);
      const auto type = static_cast<int32_t>(link.type);
      digest.add(&type, sizeof type);
      digest.add(link.target);
    }
  for (const auto& [object, type] : objects_of(file_, path_)) {
    const std::string path = object == "." ? "/" : object;
    digest.add(path);
    for (const std::string& name : attribute_names(path)) {
      if (path == "/" && name == kSealAttribute) continue;
      digest.add(name);
      Handle attribute(H5Aopen_by_name(file_, path.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                       H5Aclose);
      try {
        if (!attribute.valid()) throw Error("unopenable attribute");
        digest_attribute(attribute.get(), digest);
      } catch (const Error&) {
        throw IoError(
            fmt::format("{}: damaged: attribute '{}' of '{}' cannot be read", path_, name, path));
      }
    }
  }
  return digest.hex();
}

void Hdf5File::verify(bool datasets) const {
  if (!has_attribute("/", kSealAttribute))
    throw IoError(
        fmt::format("{}: has no seal ({}): it was not closed by attnlab", path_, kSealAttribute));
  const std::string sealed = string_attribute("/", kSealAttribute);
  if (attributes_digest() != sealed)
    throw IoError(
        fmt::format("{}: damaged: its attributes do not match the seal written when "
                    "it was closed",
                    path_));
  if (!datasets) return;  // the seal covers which datasets carry digests
  const bool digests =
      has_attribute("/", kSealVersionAttribute) && int_attribute("/", kSealVersionAttribute) >= 2;
  for (const auto& [object, type] : objects_of(file_, path_)) {
    if (type != H5O_TYPE_DATASET) continue;
    if (digests && !has_attribute(object, kDataDigestAttribute))
      throw IoError(fmt::format("{}: damaged: dataset '{}' has no digest ({})", path_, object,
                                kDataDigestAttribute));
    uint64_t digest = 0;
    if (!dataset_reads_back(file_, object, digest))
      throw IoError(fmt::format("{}: damaged: dataset '{}' fails its checksum", path_, object));
    if (digests && detail::digest_text(digest) != string_attribute(object, kDataDigestAttribute))
      throw IoError(fmt::format(
          "{}: damaged: dataset '{}' does not hold the values it was written with (its digest "
          "differs)",
          path_, object));
  }
}

}  // namespace attnlab
