// The Python plotting tools of analysis/plots/ run from C++ (for the report):
// where they are, and running one with a clear message when Python or one of
// its packages is missing.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace attnlab::analysis {

/// The folder of the plotting tools: $ATTNLAB_PLOT_TOOLS if set, else the
/// installed share/attnlab/plots, else the source tree's analysis/plots.
std::filesystem::path plot_tools_folder();

/// Runs tool `name` (e.g. "comparison_bars") with `arguments` under
/// /usr/bin/python3 and returns the files it wrote (its stdout lines).
/// Error naming the tool and what to install when Python, h5py, NumPy or
/// matplotlib is missing; Error with the tool's own message otherwise.
std::vector<std::filesystem::path> run_plot_tool(const std::string& name,
                                                 const std::vector<std::string>& arguments);

}  // namespace attnlab::analysis
