// The one atomic publish every file goes through, and what a sealed file
// vouches for: the values each dataset was given.
#include <fmt/format.h>
#include <unistd.h>

#include <attnlab/error.hpp>
#include <attnlab/io/atomic_file.hpp>
#include <attnlab/io/hdf5_file.hpp>
#include <attnlab/io/provenance.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "support/experiment_files.hpp"

using namespace attnlab;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

bool holds_temporary(const fs::path& folder) {
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().filename().string().find(".partial-") != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("a publish that fails at the rename leaves no temporary, for every kind of file") {
  TemporaryFolder scratch;
  const fs::path occupied = scratch.path() / "occupied";
  fs::create_directories(occupied / "inside");  // a non-empty folder: rename cannot replace it
  REQUIRE_THROWS_AS(write_file_atomically(occupied, "text"), IoError);
  REQUIRE_FALSE(holds_temporary(scratch.path()));
  REQUIRE_THROWS_AS(write_hdf5_atomically(occupied, [](Hdf5File& f) { f.flush(); }), IoError);
  REQUIRE_FALSE(holds_temporary(scratch.path()));
}

TEST_CASE("a fill that throws publishes nothing and removes its temporary") {
  TemporaryFolder scratch;
  const fs::path path = scratch.path() / "never.h5";
  REQUIRE_THROWS_WITH(write_hdf5_atomically(path,
                                            [](Hdf5File& f) {
                                              f.write_tensor("x", Tensor::zeros({3}));
                                              throw Error("stopped");
                                            }),
                      "stopped");
  REQUIRE_FALSE(fs::exists(path));
  REQUIRE_FALSE(holds_temporary(scratch.path()));
}

TEST_CASE("files written together appear together: one that cannot be written publishes none") {
  const TemporaryFolder folder;
  const std::filesystem::path first = folder.path() / "model.safetensors";
  const std::filesystem::path second = folder.path() / "config.json";
  std::filesystem::create_directory(second);  // where the second goes, a folder: its rename fails
  std::ofstream(second / "x") << "in the way";
  REQUIRE_THROWS_AS(write_files_together({{first, "weights"}, {second, "config"}}), IoError);
  CHECK_FALSE(std::filesystem::exists(first));  // published, then taken back
  for (const auto& entry : std::filesystem::directory_iterator(folder.path()))
    CHECK_FALSE(is_temporary_name(entry.path().filename().string()));
  std::filesystem::remove_all(second);
  write_files_together({{first, "weights"}, {second, "config"}});
  CHECK(std::filesystem::file_size(first) == 7);
  CHECK(std::filesystem::file_size(second) == 6);
}

TEST_CASE("a sealed file vouches for its values: a changed value is damage, on verify and read") {
  TemporaryFolder scratch;
  const fs::path path = scratch.path() / "values.h5";
  write_hdf5_atomically(path, [](Hdf5File& f) {
    f.write_tensor("whole", Tensor::from_values({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6}));
    f.write_ints("ids", std::vector<int32_t>{7, 8, 9}, {3});
    f.create_streamed("streamed", {4, 2}, 2);
    f.write_rows("streamed", 2,
                 Tensor::from_values({2, 2}, std::vector<float>{1, 2, 3, 4}));  // rows 0-1 never
  });
  {
    const Hdf5File file(path.string(), Hdf5File::Mode::read);
    REQUIRE_NOTHROW(file.verify(true));  // rows never written count as the zeros they read as
    REQUIRE(file.read_tensor("streamed").to_vector() == std::vector<float>{0, 0, 0, 0, 1, 2, 3, 4});
    REQUIRE(file.int_attribute("/", Hdf5File::kSealVersionAttribute) == Hdf5File::kSealVersion);
  }
  // Values that are not those the digest was taken of, under a valid seal and valid
  // checksums: what a chunk lost at close looks like (it reads back as zeros).
  const fs::path lost = scratch.path() / "lost.h5";
  std::string digest_of_values;
  {
    const Hdf5File file(path.string(), Hdf5File::Mode::read);
    digest_of_values = file.string_attribute("whole", Hdf5File::kDataDigestAttribute);
  }
  write_hdf5_atomically(lost, [&](Hdf5File& f) {
    f.write_tensor("whole", Tensor::zeros({2, 3}));
    f.set_attribute("whole", Hdf5File::kDataDigestAttribute, digest_of_values);
  });
  const Hdf5File file(lost.string(), Hdf5File::Mode::read);
  REQUIRE_NOTHROW(file.verify(false));  // the attributes are as sealed
  REQUIRE_THROWS_WITH(file.verify(true), Contains("dataset 'whole' does not hold the values"));
  REQUIRE_THROWS_WITH(file.read_tensor("whole"), Contains("does not hold the values"));
}

TEST_CASE("every kind's provenance is written and checked the same way") {
  TemporaryFolder scratch;
  for (const FileKind& kind : all_file_kinds()) {
    const fs::path path = scratch.path() / fmt::format("{}.h5", kind.name);
    write_hdf5_atomically(path, [&](Hdf5File& f) { write_provenance(f, kind); });
    const Hdf5File file(path.string(), Hdf5File::Mode::read);
    REQUIRE(file_kind_of(file).name == kind.name);
    REQUIRE(check_file(file, kind, true) == kind.schema);
    for (const char* attribute :
         {"attnlab_version", "git_commit", "git_dirty", "created", "host", "matrix_kernel"})
      REQUIRE(file.has_attribute("/", attribute));
    if (kind.name != file_kinds::trial.name && !kind.may_be_other_kind &&
        kind.schema_attribute == file_kinds::trial.schema_attribute)
      REQUIRE_THROWS_WITH(
          check_file(file, file_kinds::trial),
          Contains(fmt::format("is an attnlab {} file, where a trial file", kind.name)));
  }
}
