// Sub-commands of the attnlab executable; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace attnlab::cli {

int run_train(const std::vector<std::string>& arguments);
int run_plugins(const std::vector<std::string>& arguments);
int run_check_plugin(const std::vector<std::string>& arguments);
int run_run(const std::vector<std::string>& arguments);
int run_plan(const std::vector<std::string>& arguments);
int run_validate(const std::vector<std::string>& arguments);
int run_config(const std::vector<std::string>& arguments);
int run_compare(const std::vector<std::string>& arguments);
int run_analyze(const std::vector<std::string>& arguments);
int run_ablate(const std::vector<std::string>& arguments);
int run_patch(const std::vector<std::string>& arguments);
int run_report(const std::vector<std::string>& arguments);
int run_layout(const std::vector<std::string>& arguments);
int run_verify(const std::vector<std::string>& arguments);
int run_status(const std::vector<std::string>& arguments);
int run_merge(const std::vector<std::string>& arguments);
int run_slurm(const std::vector<std::string>& arguments);
int run_export(const std::vector<std::string>& arguments);
int run_eval(const std::vector<std::string>& arguments);
int run_inspect(const std::vector<std::string>& arguments);
int run_generate(const std::vector<std::string>& arguments);
int run_import(const std::vector<std::string>& arguments);
/// Hidden: one trial in a worker process (started by run_run).
int run_trial_worker(const std::vector<std::string>& arguments);

}  // namespace attnlab::cli
