// The one matcher of dotted names ("decoder.layers.0.self_attn.weights")
// against patterns: what `record.tensors` selects, what `attnlab patch
// --activation` replaces, and what analysis/attnlab_files/ matches with.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace attnlab {

/// A dotted name's segments: "a.b.c" -> {"a", "b", "c"}.
std::vector<std::string> dotted_segments(std::string_view dotted);

/// Whether `name` matches `pattern`, segment by segment: within a segment "*",
/// "?" and "[...]" match as in a shell (fnmatch); a segment "**" matches any
/// number of segments, none included ("**.weights",
/// "decoder.layers.*.output", "encoder.**").
bool matches_dotted_pattern(std::string_view pattern, std::string_view name);

}  // namespace attnlab
