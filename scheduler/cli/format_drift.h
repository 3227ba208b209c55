// What `muster drift check` prints, and the `muster trigger` arguments it
// builds on drift: pure functions of the report.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/drift/drift.h"
#include "scheduler/cli/drift_args.h"

namespace muster::cli {

// A line naming the model, files, rows and threshold; then COLUMN TYPE PSI
// KS_D KS_P MISSING_REF MISSING_CUR VERDICT ("-" where KS does not apply);
// then a line with the outcome.
std::string FormatDriftTable(const DriftCheckArgs& args, const drift::DriftReport& report);

// {model (null when not given), reference: {file, rows}, current: {file, rows},
//  threshold, drift, drifted_columns: [name], columns: [{name, type, psi,
//  bins, ks: {d, p_value} or null, missing: {reference, current}, drift}]}.
nlohmann::json DriftReportToJson(const DriftCheckArgs& args, const drift::DriftReport& report);

// {MODEL, "--reason", TEXT, "--metric", "psi.COL=V", "--metric", "ks.COL=D",
// ...}: the reason names the drifted columns; a PSI metric for every column
// and a KS one for every column with a KS statistic. In metric names, any
// character other than a letter, digit, '_', '-' or '.' becomes '_'.
std::vector<std::string> DriftTriggerArgs(const std::string& model, const drift::DriftReport& report);

}  // namespace muster::cli
