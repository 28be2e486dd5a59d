// What every HDF5 file attnlab writes says about itself, and how a reader
// checks it: the file kinds and their schema versions (declared once, here;
// analysis/attnlab_files/ mirrors them and a test keeps the two equal), the
// provenance attributes written the same way for every kind, and the one check
// every reader makes before trusting a file. Layout: docs/hdf5-layout.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace attnlab {

class Hdf5File;

/// A kind of HDF5 file attnlab writes.
struct FileKind {
  std::string_view name;              // the root attribute `kind`
  std::string_view schema_attribute;  // the root attribute holding the layout version
  int64_t schema;                     // the version this build writes and reads up to
  int64_t sealed_from;                // the first version every file of is sealed
  bool may_be_other_kind;             // a reader takes any file with the schema attribute
};

namespace file_kinds {
/// trials/<id>.h5 (2: sealed, checksummed datasets).
inline constexpr FileKind trial{"trial", "attnlab_results_schema", 2, 2, false};
/// results.h5, the experiment's index.
inline constexpr FileKind experiment{"experiment", "attnlab_results_schema", 2, 2, false};
/// A model's parameters; a trial file is one too (docs/checkpoints.md).
inline constexpr FileKind checkpoint{"checkpoint", "attnlab_checkpoint_schema", 1, 2, true};
/// analysis/head_metrics.h5 and analysis/head_ablation.h5 (docs/analysis.md).
inline constexpr FileKind head_metrics{"head_metrics", "attnlab_analysis_schema", 1, 1, false};
inline constexpr FileKind head_ablation{"head_ablation", "attnlab_analysis_schema", 1, 1, false};
/// trials/<id>.resume: a trial's checkpoint to resume from (io/training_state.hpp).
inline constexpr FileKind training_state{"training_state", "attnlab_training_state_schema", 1, 1,
                                         false};
}  // namespace file_kinds

/// The root attributes write_provenance writes.
namespace provenance_attributes {
inline constexpr const char* kind = "kind";
inline constexpr const char* version = "attnlab_version";
inline constexpr const char* commit = "git_commit";
inline constexpr const char* dirty = "git_dirty";
inline constexpr const char* created = "created";
inline constexpr const char* host = "host";
// Which code computed the matrix products: float results depend on it.
inline constexpr const char* matrix_kernel = "matrix_kernel";
}  // namespace provenance_attributes

/// Every kind, for listings (`attnlab layout`) and tests.
std::span<const FileKind> all_file_kinds();

/// The kind of an attnlab file, from its `kind` attribute, or for files written
/// before every file had one, from its schema attributes. IoError if it is none.
const FileKind& file_kind_of(const Hdf5File& file);

/// This machine's name ("unknown" if the system will not say).
std::string host_name();

/// Writes the root attributes every attnlab file carries: `kind`, the kind's
/// schema attribute, attnlab_version, git_commit, git_dirty, created (UTC, ISO
/// 8601), host and matrix_kernel.
void write_provenance(Hdf5File& file, const FileKind& kind);

/// The check every reader makes before it trusts a file: it is of `kind` (its
/// schema attribute is there, and its `kind`, if any, is that kind's), its
/// schema is not newer than this build reads, and its seal matches its
/// attributes (datasets' values too, with `datasets`; always for files the
/// kind seals, and whenever a seal or a seal version is present). Throws IoError naming the file
/// and what it found. Returns the file's schema version.
int64_t check_file(const Hdf5File& file, const FileKind& kind, bool datasets = false);

/// check_file on the file at `path`, of the kind it says it is, its datasets'
/// values included, read in a child process (HDF5 can hang or crash on a
/// damaged file; this process never reads it). Returns a line saying what the
/// file is; throws IoError naming the damage.
std::string check_file_at(const std::string& path);

}  // namespace attnlab
