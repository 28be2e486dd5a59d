#include "attnlab/io/saved_model.hpp"

#include <fmt/format.h>

#include "attnlab/error.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/train/seeding.hpp"

namespace attnlab {
std::string model_configuration(const Hdf5File& file, const std::string& path, bool datasets) {
  const FileKind& kind = file_kind_of(file);
  if (kind.name != file_kinds::trial.name && kind.name != file_kinds::checkpoint.name)
    throw IoError(
        fmt::format("{}: is {}, which holds no trained model; give a trial file of a run "
                    "(OUTPUT/trials/<id>.h5) or a checkpoint",
                    path,
                    kind.name == file_kinds::experiment.name
                        ? std::string("the results file of a run (results.h5)")
                        : fmt::format("an attnlab {} file", kind.name)));
  check_file(file, kind, datasets);
  if (!file.has_attribute("/", kConfigAttribute))
    throw IoError(fmt::format(
        "{}: is a checkpoint without the configuration of its model (written by an attnlab "
        "before 2026-12-08, or by save_checkpoint without one), so the model cannot be rebuilt "
        "from it; load it with load_checkpoint into a model you build, or train it again with "
        "attnlab train --checkpoint",
        path));
  return file.string_attribute("/", kConfigAttribute);
}

SavedModel::SavedModel(const std::filesystem::path& path) : path_(path) {
  {
    const Hdf5File file(path.string(), Hdf5File::Mode::read);
    config_yaml_ = model_configuration(file, path.string());
    kind_ = file_kind_of(file).name;
  }
  built_ = build_trial(parse_yaml(
      config_yaml_, fmt::format("{} ({})", path.string(), kConfigAttribute), kWrittenYamlBounds));
  Rng init = seeded_rng(built_.spec.train.seed, "init");
  model_ = std::make_unique<TaskModel>(built_.spec.shape, built_.spec.model, init);
  load_checkpoint(model_->module(), path.string());
}

SavedModel::~SavedModel() = default;

}  // namespace attnlab
