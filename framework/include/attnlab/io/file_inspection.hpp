// What an attnlab file holds, said without reading it by hand: `attnlab
// inspect`. Layout of the JSON: docs/interchange.md ("attnlab inspect").
#pragma once

#include <filesystem>
#include <string>

namespace attnlab {

/// JSON text describing the attnlab file at `path`: its kind and schema, its
/// provenance, whether it is intact (seal and every dataset's checksum, and if
/// not, the damage found), and what it holds: a trial's identity, final
/// figures and configuration, parameters with their shapes, recorded
/// activations with their dimension names, and any other dataset. The file is
/// read in a child process: one that crashes or hangs HDF5 gives an IoError
/// naming it, never a crash here; one that is not an attnlab file, too.
std::string inspect_file(const std::filesystem::path& path);

}  // namespace attnlab
