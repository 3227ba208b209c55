// `muster drift check` end to end on CSV files in a temporary directory:
// what it prints, its exit code, and what it would trigger (through an
// injected trigger, so these tests do not depend on `muster trigger`).
#include "scheduler/cli/commands_drift.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "scheduler/cli/commands.h"
#include "scheduler/cli/drift_args.h"
#include "scheduler/cli/format_drift.h"
#include "tests/support/temp_dir.h"

namespace muster::cli {
namespace {

using nlohmann::json;

// Reference and current data. x: 1..10 against five 1s and five 2s (PSI
// 6.808228, KS D .8, p .00122: see tests/unit/drift_test.cc); c: the same
// categories in the same shares (PSI 0).
constexpr const char* kReference = "x,c\n1,a\n2,a\n3,b\n4,b\n5,a\n6,a\n7,b\n8,b\n9,a\n10,b\n";
constexpr const char* kCurrent = "x,c\n1,b\n1,a\n1,b\n1,a\n1,b\n2,a\n2,b\n2,a\n2,b\n2,a\n";

class DriftCheckTest : public ::testing::Test {
 protected:
  // Writes `text` to a file in the test's directory and returns its path.
  std::string File(const std::string& name, const std::string& text) {
    std::string path = dir_.Sub(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  // `muster ARGS...` as the CLI runs it.
  int Run(const std::vector<std::string>& args) {
    Context ctx = MakeContext();
    return RunCli(ctx, args);
  }
  // `muster drift check ARGS...` with a trigger that records its arguments
  // and answers `trigger_exit_`.
  int Check(const std::vector<std::string>& args) {
    Context ctx = MakeContext();
    return RunDriftCheckWith(ctx, args, [this](Context& c, const std::vector<std::string>& a) {
      triggered_.push_back(a);
      c.out << "triggered\n";
      return trigger_exit_;
    });
  }
  // --reference and --current of kReference and kCurrent, then `more`.
  std::vector<std::string> Files(std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"--reference", File("ref.csv", kReference), "--current",
                                     File("cur.csv", kCurrent)};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  muster::testing::TempDir dir_{"muster-drift"};
  std::ostringstream out_, err_;
  ManualClock clock_{1'800'000'000 * kSecond};
  bool connected_ = false;
  std::vector<std::vector<std::string>> triggered_;
  int trigger_exit_ = kExitOk;

 private:
  Context MakeContext() {
    return Context{
        .out = out_,
        .err = err_,
        .clock = clock_,
        .connect =
            [this](const GlobalOptions&) {
              connected_ = true;  // drift check never talks to musterd itself
              return std::unique_ptr<Rpc>();
            },
        .sleep_ms = [](int) {},
        .global = DefaultGlobalOptions(nullptr),
        .submit_defaults = {"alice", "/home/alice"},
    };
  }
};

// ---- output and exit codes --------------------------------------------------

TEST_F(DriftCheckTest, NoDriftIsExitZero) {
  std::string ref = File("ref.csv", kReference);
  EXPECT_EQ(Run({"drift", "check", "--reference", ref, "--current", ref}), kExitOk);
  EXPECT_EQ(out_.str(), ref + " (10 rows) vs " + ref +
                            " (10 rows), PSI threshold 0.2\n"
                            "COLUMN  TYPE         PSI     KS_D    KS_P  MISSING_REF  MISSING_CUR  VERDICT\n"
                            "x       numeric      0.0000  0.0000  1     0            0            ok\n"
                            "c       categorical  0.0000  -       -     0            0            ok\n"
                            "No drift in 2 columns\n");
  EXPECT_EQ(err_.str(), "");
  EXPECT_FALSE(connected_);
}

TEST_F(DriftCheckTest, DriftIsExitTenWithATable) {
  auto args = Files({"--model", "churn"});
  args.insert(args.begin(), {"drift", "check"});
  EXPECT_EQ(Run(args), kExitDrift);
  EXPECT_EQ(out_.str(),
            "Model churn: " + args[3] + " (10 rows) vs " + args[5] +
                " (10 rows), PSI threshold 0.2\n"
                "COLUMN  TYPE         PSI     KS_D    KS_P     MISSING_REF  MISSING_CUR  VERDICT\n"
                "x       numeric      6.8082  0.8000  0.00122  0            0            DRIFT\n"
                "c       categorical  0.0000  -       -        0            0            ok\n"
                "Drift in 1 of 2 columns: x\n");
  EXPECT_EQ(err_.str(), "");
  EXPECT_FALSE(connected_);
}

TEST_F(DriftCheckTest, ThresholdAndColumns) {
  EXPECT_EQ(Check(Files({"--threshold", "7"})), kExitOk);  // 6.81 < 7
  EXPECT_EQ(Check(Files({"--columns", " c "})), kExitOk);
  EXPECT_NE(out_.str().find("No drift in 1 column\n"), std::string::npos) << out_.str();
}

TEST_F(DriftCheckTest, Json) {
  EXPECT_EQ(Check(Files({"--json", "--model", "churn"})), kExitDrift);
  json j = json::parse(out_.str());
  EXPECT_EQ(j["model"], "churn");
  EXPECT_EQ(j["reference"]["rows"], 10);
  EXPECT_EQ(j["current"]["rows"], 10);
  EXPECT_EQ(j["threshold"], 0.2);
  EXPECT_EQ(j["drift"], true);
  EXPECT_EQ(j["drifted_columns"], json::array({"x"}));
  ASSERT_EQ(j["columns"].size(), 2u);
  const json& x = j["columns"][0];
  EXPECT_EQ(x["name"], "x");
  EXPECT_EQ(x["type"], "numeric");
  EXPECT_NEAR(x["psi"].get<double>(), 6.808228348909806, 1e-9);
  EXPECT_EQ(x["bins"], 10);
  EXPECT_DOUBLE_EQ(x["ks"]["d"].get<double>(), 0.8);
  EXPECT_NEAR(x["ks"]["p_value"].get<double>(), 0.0012162112998959323, 1e-12);
  EXPECT_EQ(x["missing"], json({{"reference", 0}, {"current", 0}}));
  EXPECT_EQ(x["drift"], true);
  const json& c = j["columns"][1];
  EXPECT_EQ(c["type"], "categorical");
  EXPECT_EQ(c["ks"], nullptr);
  EXPECT_EQ(c["bins"], 2);
  EXPECT_EQ(c["drift"], false);
}

TEST_F(DriftCheckTest, JsonWithoutModelHasNull) {
  std::string ref = File("ref.csv", kReference);
  EXPECT_EQ(Check({"--reference", ref, "--current", ref, "--json"}), kExitOk);
  json j = json::parse(out_.str());
  EXPECT_EQ(j["model"], nullptr);
  EXPECT_EQ(j["drift"], false);
  EXPECT_EQ(j["drifted_columns"], json::array());
}

// ---- bad input: exit 2, a message naming file and line, nothing printed -----

struct BadInput {
  const char* reference;  // file contents; nullptr: the file does not exist
  std::vector<std::string> flags;
  std::string error;  // {ref} and {cur} stand for the files' paths
};

TEST_F(DriftCheckTest, BadInputIsExitTwo) {
  const std::vector<BadInput> cases = {
      {"x,c\n1,a\n2\n", {}, "{ref}:3: the row has 1 field, the header 2 fields"},
      {"", {}, "{ref}: empty file (expected a header row and data rows)"},
      {"x,c\n", {}, "{ref}: no data rows, only a header"},
      {"x,c\n\"1,a\n", {}, "{ref}:2: a quoted field is never closed"},
      {nullptr, {}, "cannot read {ref}: No such file or directory"},
      {"x\n1\n", {}, "{ref} has no column 'c', which {cur} has (name the columns to compare)"},
      {kReference, {"--columns", "x,y"}, "no column 'y' in {ref} (its columns: x, c)"},
      {kReference, {"--columns", "x,x"}, "column 'x' is asked for twice"},
  };
  for (const BadInput& bad : cases) {
    out_.str("");
    err_.str("");
    std::string ref = dir_.Sub("ref.csv");
    std::filesystem::remove(ref);
    if (bad.reference) File("ref.csv", bad.reference);
    std::string cur = File("cur.csv", kCurrent);
    std::vector<std::string> args = {"drift", "check", "--reference", ref, "--current", cur};
    args.insert(args.end(), bad.flags.begin(), bad.flags.end());
    EXPECT_EQ(Run(args), kExitUsage) << bad.error;
    std::string want = "muster: " + bad.error + "\n";
    for (auto [from, to] : {std::pair<std::string, std::string>{"{ref}", ref}, {"{cur}", cur}})
      if (auto at = want.find(from); at != std::string::npos) want.replace(at, from.size(), to);
    EXPECT_EQ(err_.str(), want);
    EXPECT_EQ(out_.str(), "");
  }
}

TEST_F(DriftCheckTest, BadFlagsAreExitTwo) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--current", "c.csv"}, "missing --reference REF.csv"},
      {{"--reference", "r.csv"}, "missing --current CUR.csv"},
      {{"--reference", "r.csv", "--current", "c.csv", "--trigger"},
       "--trigger needs --model NAME: the model whose retrain to trigger"},
      {{"--reference", "r.csv", "--current", "c.csv", "--threshold", "0"},
       "bad --threshold '0': a PSI above 0, e.g. 0.2 or 0.1"},
      {{"--reference", "r.csv", "--current", "c.csv", "--threshold", "x"},
       "bad --threshold 'x': a PSI above 0, e.g. 0.2 or 0.1"},
      {{"--reference", "r.csv", "--current", "c.csv", "--columns", "a,,b"},
       "bad --columns 'a,,b': an empty column name"},
      {{"--reference", "r.csv", "--current", "c.csv", "extra"}, "unexpected argument 'extra'"},
  };
  for (const auto& [flags, error] : cases) {
    err_.str("");
    std::vector<std::string> args = {"drift", "check"};
    args.insert(args.end(), flags.begin(), flags.end());
    EXPECT_EQ(Run(args), kExitUsage) << error;
    EXPECT_EQ(err_.str(), "muster: " + error + "\n(try: muster drift check --help)\n");
  }
}

TEST_F(DriftCheckTest, Help) {
  EXPECT_EQ(Run({"drift", "--help"}), kExitOk);
  EXPECT_NE(out_.str().find("check   compare a model's reference data"), std::string::npos) << out_.str();
  out_.str("");
  EXPECT_EQ(Run({"drift", "check", "--help"}), kExitOk);
  EXPECT_NE(out_.str().find("Exit codes: 0 no drift, 10 drift, 2 bad flags or input."), std::string::npos);
  out_.str("");
  EXPECT_EQ(Run({"--help"}), kExitOk);
  EXPECT_NE(out_.str().find("  drift     data drift"), std::string::npos) << out_.str();
  EXPECT_EQ(Run({"drift"}), kExitUsage);
  EXPECT_EQ(Run({"drift", "watch"}), kExitUsage);
}

// ---- --trigger ----------------------------------------------------------------

TEST_F(DriftCheckTest, TriggerOnDriftPassesTheFigures) {
  EXPECT_EQ(Check(Files({"--model", "churn", "--trigger"})), kExitDrift);
  ASSERT_EQ(triggered_.size(), 1u);
  EXPECT_EQ(triggered_[0], (std::vector<std::string>{
                               "churn", "--reason", "data drift: PSI >= 0.2 in 1 of 2 columns (x 6.8082)",
                               "--metric", "psi.x=6.80823", "--metric", "ks.x=0.8", "--metric", "psi.c=0"}));
  EXPECT_NE(out_.str().find("Drift in 1 of 2 columns: x\ntriggered\n"), std::string::npos) << out_.str();
}

TEST_F(DriftCheckTest, TriggerFailureIsItsExitCode) {
  trigger_exit_ = kExitUnavailable;
  EXPECT_EQ(Check(Files({"--model", "churn", "--trigger"})), kExitUnavailable);
  EXPECT_EQ(triggered_.size(), 1u);
}

TEST_F(DriftCheckTest, NoTriggerWithoutDriftOrWithoutTheFlag) {
  std::string ref = File("ref.csv", kReference);
  EXPECT_EQ(Check({"--reference", ref, "--current", ref, "--model", "churn", "--trigger"}), kExitOk);
  EXPECT_EQ(Check(Files({"--model", "churn"})), kExitDrift);
  EXPECT_TRUE(triggered_.empty());
}

TEST_F(DriftCheckTest, TriggerWithJsonKeepsStdoutJson) {
  EXPECT_EQ(Check(Files({"--model", "churn", "--trigger", "--json"})), kExitDrift);
  EXPECT_EQ(json::parse(out_.str())["drift"], true);  // throws if anything else is there
  EXPECT_EQ(err_.str(), "triggered\n");
}

TEST(DriftTriggerArgs, MetricNamesAreSanitized) {
  drift::DriftReport report;
  report.threshold = 0.25;
  drift::ColumnDrift odd;
  odd.name = "a b=c/é";
  odd.type = drift::ColumnType::kCategorical;
  odd.psi = 0.5;
  odd.drift = true;
  report.columns = {odd};
  EXPECT_EQ(
      DriftTriggerArgs("m", report),
      (std::vector<std::string>{"m", "--reason", "data drift: PSI >= 0.25 in 1 of 1 column (a b=c/é 0.5000)",
                                "--metric", "psi.a_b_c___=0.5"}));
}

TEST(DriftTriggerArgs, AVeryWideFileStaysWithinWhatMusterdAccepts) {
  drift::DriftReport report;
  report.threshold = 0.2;
  for (int i = 0; i < 300; ++i) {
    drift::ColumnDrift c;
    c.name = "feature_" + std::to_string(i) + std::string(200, 'x');  // long names too
    c.type = drift::ColumnType::kNumeric;
    c.psi = 1.0;
    c.ks = drift::KsResult{0.5, 0.001};
    c.drift = true;
    report.columns.push_back(c);
  }
  std::vector<std::string> args = DriftTriggerArgs("m", report);
  ASSERT_GE(args.size(), 3u);
  const std::string& reason = args[2];
  EXPECT_LE(reason.size(), 4096u) << "musterd refuses longer reasons";
  EXPECT_NE(reason.find("and 290 more"), std::string::npos) << reason;
  size_t metrics = 0;
  for (size_t i = 3; i + 1 < args.size(); i += 2) {
    EXPECT_EQ(args[i], "--metric");
    EXPECT_LE(args[i + 1].find('='), 128u) << args[i + 1];
    ++metrics;
  }
  EXPECT_EQ(metrics, 256u) << "at most 256 metrics, as musterd accepts";
}

}  // namespace
}  // namespace muster::cli
