#include "attnlab/io/provenance.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>

#include "attnlab/error.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/matrix_kernel.hpp"
#include "attnlab/version.hpp"
#include "isolated_read.hpp"

namespace attnlab {
namespace {

constexpr FileKind kAllKinds[] = {file_kinds::trial,         file_kinds::experiment,
                                  file_kinds::checkpoint,    file_kinds::head_metrics,
                                  file_kinds::head_ablation, file_kinds::training_state};

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

// "results" for attnlab_results_schema: how messages name a schema.
std::string_view schema_family(const FileKind& kind) {
  std::string_view family = kind.schema_attribute;
  family.remove_prefix(std::string_view("attnlab_").size());
  family.remove_suffix(std::string_view("_schema").size());
  return family;
}

}  // namespace

std::span<const FileKind> all_file_kinds() {
  return kAllKinds;
}

const FileKind& file_kind_of(const Hdf5File& file) {
  if (file.has_attribute("/", provenance_attributes::kind)) {
    const std::string found = file.string_attribute("/", provenance_attributes::kind);
    for (const FileKind& kind : kAllKinds)
      if (kind.name == found) return kind;
    throw IoError(fmt::format("{}: of kind '{}', which this attnlab ({}) does not know",
                              file.path(), found, version()));
  }
  if (file.has_attribute("/", std::string(file_kinds::trial.schema_attribute)))
    return file_kinds::trial;  // trial files had no kind attribute before 2026-12-06
  if (file.has_attribute("/", std::string(file_kinds::checkpoint.schema_attribute)))
    return file_kinds::checkpoint;
  throw IoError(
      fmt::format("{}: not a file attnlab wrote (no 'kind' and no schema attribute)", file.path()));
}

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 && name[0] != '\0' ? name : "unknown";
}

void write_provenance(Hdf5File& file, const FileKind& kind) {
  namespace a = provenance_attributes;
  file.set_attribute("/", a::kind, std::string(kind.name));
  file.set_attribute("/", std::string(kind.schema_attribute), kind.schema);
  file.set_attribute("/", a::version, version());
  file.set_attribute("/", a::commit, git_commit());
  file.set_attribute("/", a::dirty, static_cast<int64_t>(git_dirty()));
  file.set_attribute("/", a::created, utc_now());
  file.set_attribute("/", a::host, host_name());
  file.set_attribute("/", a::matrix_kernel, matrix_kernel());
}

int64_t check_file(const Hdf5File& file, const FileKind& kind, bool datasets) {
  const std::string schema_attribute(kind.schema_attribute);
  if (!file.has_attribute("/", schema_attribute))
    throw IoError(fmt::format("{}: not an attnlab {} file (it has no '{}' attribute)", file.path(),
                              kind.name, schema_attribute));
  if (!kind.may_be_other_kind && file.has_attribute("/", provenance_attributes::kind)) {
    const std::string found = file.string_attribute("/", provenance_attributes::kind);
    if (found != kind.name)
      throw IoError(fmt::format("{}: is an attnlab {} file, where a {} file was expected",
                                file.path(), found, kind.name));
  }
  const int64_t schema = file.int_attribute("/", schema_attribute);
  if (schema > kind.schema)
    throw IoError(fmt::format(
        "{}: written with {} schema {}, but this attnlab reads up to {}: the file is newer than "
        "attnlab {}; use a newer attnlab",
        file.path(), schema_family(kind), schema, kind.schema, version()));
  if (schema < 1)
    throw IoError(
        fmt::format("{}: {} schema {} is not one", file.path(), schema_family(kind), schema));
  // A file that says how it was sealed must be sealed: a seal removed is damage.
  if (schema >= kind.sealed_from || file.has_attribute("/", Hdf5File::kSealAttribute) ||
      file.has_attribute("/", Hdf5File::kSealVersionAttribute))
    file.verify(datasets);
  return schema;
}

std::string check_file_at(const std::string& path) {
  std::error_code unknown;
  const auto bytes = std::filesystem::file_size(path, unknown);
  const auto cpu_time = std::chrono::seconds(30 + (unknown ? 0 : bytes / (10 << 20)));
  return read_isolated(
      [&] {
        const Hdf5File file(path, Hdf5File::Mode::read);
        const FileKind& kind = file_kind_of(file);
        const int64_t schema = check_file(file, kind, true);
        const bool sealed = file.has_attribute("/", Hdf5File::kSealAttribute);
        return fmt::format("{} file, {} = {}, {}", kind.name, kind.schema_attribute, schema,
                           !sealed ? "not sealed (older)"
                           : file.has_attribute("/", Hdf5File::kSealVersionAttribute)
                               ? "sealed with data digests"
                               : "sealed (attributes)");
      },
      path, cpu_time);
}

}  // namespace attnlab
