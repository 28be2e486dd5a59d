#pragma once

namespace attnlab {

/// The attnlab release, e.g. "0.1.0".
const char* version();
/// The git commit attnlab was built from ("unknown" outside a git checkout).
const char* git_commit();
/// Whether that checkout had uncommitted changes to tracked files when built.
bool git_dirty();

}  // namespace attnlab
