#include "attnlab/nn/dotted_pattern.hpp"

#include <fnmatch.h>

namespace attnlab {

std::vector<std::string> dotted_segments(std::string_view dotted) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = dotted.find('.', start)) != std::string_view::npos; start = dot + 1)
    parts.emplace_back(dotted.substr(start, dot - start));
  parts.emplace_back(dotted.substr(start));
  return parts;
}

// Dynamic programming over (pattern segments, name segments), so that many
// "**" cost P x N steps, not an exponential search.
bool matches_dotted_pattern(std::string_view pattern, std::string_view name) {
  const std::vector<std::string> p = dotted_segments(pattern), n = dotted_segments(name);
  // matched[j]: the first i pattern segments match the first j name segments.
  std::vector<char> matched(n.size() + 1, 0);
  matched[0] = 1;
  for (const std::string& segment : p) {
    std::vector<char> next(n.size() + 1, 0);
    for (std::size_t j = 0; j <= n.size(); ++j) {
      if (segment == "**")
        next[j] = matched[j] || (j > 0 && next[j - 1]);
      else
        next[j] = j > 0 && matched[j - 1] && fnmatch(segment.c_str(), n[j - 1].c_str(), 0) == 0;
    }
    matched.swap(next);
  }
  return matched[n.size()] != 0;
}

}  // namespace attnlab
