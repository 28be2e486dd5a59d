"""attnlab's on-disk contract, read from Python: the twin of the C++ modules
that write it (framework/include/attnlab/io/: output_layout.hpp,
provenance.hpp, hdf5_file.hpp, and nn/dotted_pattern.hpp).

Every Python tool of attnlab reads output directories through this package and
nothing else, so each checks what the C++ readers check: a file's kind, its
schema version (a newer one is refused), its seal over every attribute and,
dataset by dataset as they are read, the digest of the values it was written
with. tests/analysis/check_files_twin.py keeps the declarations (contract.py) equal to
`attnlab layout --json` and both sides' verdicts equal on real and damaged files.

    import attnlab_files as af
    run = af.OutputDir("out/induction")
    trials, left_out = run.finished_trials()
    for trial in trials:
        trial.figures()["eval_accuracy"], trial.curve("eval_loss")
        values, dims = trial.activation("decoder.layers.0.self_attn.weights")

Needs Debian's python3-h5py and python3-numpy (/usr/bin/python3)."""
# The package's names: contract.py declares, checks.py checks, output_dir.py reads.
from .checks import (attributes_digest, check_file, check_path, data_digest, file_kind_of,
                     open_checked, read_dataset, verify)
from .contract import (DATA_DIGEST_ATTRIBUTE, FILE_KINDS, PARAMETERS_FIGURE, PATHS,
                       SEAL_ATTRIBUTE, SEAL_VERSION, SEAL_VERSION_ATTRIBUTE, TRAIN_LOSS_FIGURE,
                       TRIAL_FILE_PATHS, FileError, config_hash, evaluation_group, figure_meaning,
                       figure_name, hdf5_path, matches_dotted_pattern, parse_figure, path_in,
                       snapshot_group, temporary_path, text_of)
from .output_dir import OutputDir, Trial

__all__ = ["attributes_digest", "check_file", "check_path", "data_digest", "file_kind_of",
           "open_checked", "read_dataset", "verify", "DATA_DIGEST_ATTRIBUTE", "FILE_KINDS",
           "PARAMETERS_FIGURE", "PATHS", "SEAL_ATTRIBUTE", "SEAL_VERSION",
           "SEAL_VERSION_ATTRIBUTE", "TRAIN_LOSS_FIGURE", "TRIAL_FILE_PATHS", "FileError",
           "config_hash", "evaluation_group", "figure_meaning", "figure_name", "hdf5_path",
           "matches_dotted_pattern", "parse_figure", "path_in", "snapshot_group",
           "temporary_path", "text_of", "OutputDir", "Trial"]
