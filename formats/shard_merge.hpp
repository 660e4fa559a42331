// Joining the parts of a sharded batch (`verify --shard K/N`, issue 17) into exactly what one
// run over the whole batch writes: its --json document and its --results lines.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace nncert {

// The --json documents of shards 1/N .. N/N (any order) of one `verify --robust` batch -> the
// document of the single run: samples in dataset order, counts and times summed, the median
// recomputed. InputError (naming `names[i]`) unless every part is a shard of the same batch and
// each K of 1..N appears exactly once.
nlohmann::json merge_verify_documents(const std::vector<nlohmann::json>& parts, const std::vector<std::string>& names);

// --results files of the shards -> the single run's: every line, ordered by the sample number in
// its property ("... sample N of DATA"). InputError when a line names no sample or a sample twice.
std::string merge_result_lines(const std::vector<std::string>& parts, const std::vector<std::string>& names);

}  // namespace nncert
