// The trace reader: well-formed input in its variants, and every malformed
// row reported with its file and line (never a crash). Also the pieces the
// workload is built from: SHA-256, the cluster flags, filters and seeds.
#include "scheduler/sim/trace.h"

#include <gtest/gtest.h>

#include "common/base/strings.h"
#include "scheduler/sim/cluster_spec.h"
#include "scheduler/sim/sha256.h"
#include "scheduler/sim/sim_args.h"
#include "scheduler/sim/workload.h"

namespace muster::sim {
namespace {

Result<Trace> Parse(const std::string& text, bool skip = false, TraceColumns cols = {}) {
  auto table = ParseCsv(text, "t.csv");
  if (!table.ok()) return table.status();
  return ParseTrace(*table, "t.csv", cols, skip);
}

std::string ErrorOf(const std::string& text) {
  auto t = Parse(text);
  EXPECT_FALSE(t.ok());
  return t.ok() ? "" : t.status().message();
}

TEST(Csv, QuotesCrlfBlankLinesAndBom) {
  auto t = ParseCsv(
      "\xEF\xBB\xBF"
      "a,b,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\r\n\r\n2,,\"multi\nline\"\n",
      "f.csv");
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->header, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0].fields[1], "x,y");
  EXPECT_EQ(t->rows[0].fields[2], "say \"hi\"");
  EXPECT_EQ(t->rows[0].line, 2);
  EXPECT_EQ(t->rows[1].fields[1], "");
  EXPECT_EQ(t->rows[1].fields[2], "multi\nline");
  EXPECT_EQ(t->rows[1].line, 4);
}

TEST(Csv, ErrorsNameTheLine) {
  auto e = ParseCsv("a,b\n1,2\n3\n", "f.csv");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "f.csv:3: expected 2 fields (as the header), found 1");
  e = ParseCsv("a,b\n1,\"2\n", "f.csv");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "f.csv:2: unterminated quoted field (a '\"' is never closed)");
  e = ParseCsv("a,b\n1,2x\"\n", "f.csv");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "f.csv:2: a quote inside an unquoted field");
  e = ParseCsv("a,a\n", "f.csv");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "f.csv:1: duplicate column 'a'");
  e = ParseCsv("", "f.csv");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "f.csv: empty file (expected a header row)");
  e = ParseCsv("a,\n", "f.csv");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "f.csv:1: column 2 of the header has no name");
}

TEST(Trace, HeaderDrivenUnknownColumnsIgnoredAndSorted) {
  auto t = Parse(
      "extra,duration_s,num_gpus,job_id,submit_time_s,vc,submit_timestamp\n"
      "x,100,2,j1,50,teamB,2017-10-01 00:00:50\n"
      "y,7.5,1,j2,10,teamA,2017-10-01 00:00:10\n");
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->jobs.size(), 2u);
  EXPECT_EQ(t->jobs[0].name, "j2");  // sorted by submit time
  EXPECT_EQ(t->jobs[0].duration, 7'500'000);
  EXPECT_EQ(t->jobs[0].team, "teamA");
  EXPECT_EQ(t->jobs[1].gpus, 2);
  EXPECT_EQ(t->jobs[1].submit, 50 * kSecond);
  EXPECT_TRUE(t->has_team);  // "vc" picked up automatically
  EXPECT_EQ(t->team_column, "vc");
  EXPECT_EQ(t->first_timestamp, "2017-10-01 00:00:50");
  EXPECT_EQ(t->first_timestamp_submit, 50 * kSecond);
  auto start = ResolveTraceStart(*t, "auto");
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(FormatRfc3339(*start), "2017-10-01T00:00:00Z");
}

TEST(Trace, MalformedRowsAreErrorsWithLineNumbers) {
  const std::string h = "job_id,submit_time_s,num_gpus,duration_s\n";
  EXPECT_EQ(ErrorOf(h + "a,0,1,10\nb,5,abc,10\n"),
            "t.csv:3: num_gpus 'abc' is not a whole number of GPUs >= 1");
  EXPECT_EQ(ErrorOf(h + "a,0,0,10\n"), "t.csv:2: num_gpus '0' is not a whole number of GPUs >= 1");
  EXPECT_EQ(ErrorOf(h + "a,0,1.5,10\n"), "t.csv:2: num_gpus '1.5' is not a whole number of GPUs >= 1");
  EXPECT_EQ(ErrorOf(h + "a,-3,1,10\n"), "t.csv:2: submit_time_s '-3' is not a number of seconds >= 0");
  EXPECT_EQ(ErrorOf(h + "a,0,1,\n"), "t.csv:2: duration_s '' is not a number of seconds >= 0");
  EXPECT_EQ(ErrorOf(h + "a,0,1,1e400\n"), "t.csv:2: duration_s '1e400' is not a number of seconds >= 0");
  EXPECT_EQ(ErrorOf(h + "a,0,1,nan\n"), "t.csv:2: duration_s 'nan' is not a number of seconds >= 0");
  EXPECT_EQ(ErrorOf("job_id,submit_time_s,duration_s\na,0,1\n"),
            "t.csv: no column 'num_gpus' (GPUs per job); the header has: job_id,submit_time_s,duration_s");
}

TEST(Trace, SkipBadRowsCountsThem) {
  auto t = Parse("job_id,submit_time_s,num_gpus,duration_s\na,0,1,10\nb,x,1,10\nc,3,1,10\n", true);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->jobs.size(), 2u);
  EXPECT_EQ(t->skipped_rows, 1);
  ASSERT_EQ(t->skipped_examples.size(), 1u);
  EXPECT_EQ(t->skipped_examples[0], "t.csv:3: submit_time_s 'x' is not a number of seconds >= 0");
}

TEST(Trace, MissingAskedForTeamColumnIsAnError) {
  TraceColumns cols;
  cols.team = "user";
  auto t = Parse("job_id,submit_time_s,num_gpus,duration_s\na,0,1,10\n", false, cols);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("no column 'user'"), std::string::npos);
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Cluster, FlagsLabelSwitchesAndRacks) {
  ClusterFlags f;
  f.nodes = 5;
  f.gpus_per_node = 4;
  f.nodes_per_switch = 2;
  f.switches_per_rack = 2;
  auto nodes = MakeCluster(f);
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 5u);
  EXPECT_EQ((*nodes)[0].name, "node-0000");
  EXPECT_EQ((*nodes)[3].labels.at("switch"), "s01");
  EXPECT_EQ((*nodes)[4].labels.at("switch"), "s02");
  EXPECT_EQ((*nodes)[4].labels.at("rack"), "r01");
  EXPECT_EQ(DescribeCluster(*nodes), "5 nodes x 4 GPUs (20 GPUs), 3 switches, 2 racks");
  f.nodes = 0;
  EXPECT_FALSE(MakeCluster(f).ok());
}

TEST(Args, QueueAndStudyKnobs) {
  auto q = ParseQueueOption("prod:weight=2,guaranteed=64,max=128,tier=1");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->name, "prod");
  EXPECT_EQ(q->weight, 2);
  EXPECT_EQ(q->guaranteed, 64);
  EXPECT_EQ(q->max, 128);
  EXPECT_EQ(q->tier, 1);
  EXPECT_FALSE(ParseQueueOption("prod:color=red").ok());
  EXPECT_FALSE(ParseQueueOption(":weight=1").ok());
  auto fn = ParseFactorNoise("1.5,0.25");
  ASSERT_TRUE(fn.ok());
  EXPECT_EQ(fn->first, 1.5);
  EXPECT_EQ(fn->second, 0.25);
  EXPECT_FALSE(ParseFactorNoise("0").ok());
  EXPECT_FALSE(ParseFactorNoise("2,-1").ok());
}

class WorkloadTest : public ::testing::Test {
 protected:
  Trace MakeTrace(int n) {
    std::string csv = "job_id,submit_time_s,num_gpus,duration_s\n";
    for (int i = 0; i < n; ++i) csv += "j" + std::to_string(i) + "," + std::to_string(i * 3600) + ",1,600\n";
    auto t = Parse(csv);
    EXPECT_TRUE(t.ok());
    return *t;
  }
  std::vector<NodeSpec> Nodes(int n, int g) {
    ClusterFlags f;
    f.nodes = n;
    f.gpus_per_node = g;
    return *MakeCluster(f);
  }
};

TEST_F(WorkloadTest, FiltersAndUnplaceableJobs) {
  Trace t = MakeTrace(10);
  t.jobs[3].gpus = 64;  // larger than the cluster
  WorkloadOptions o;
  o.trace_start = "2024-01-01T00:00:00Z";
  o.start = "2h";
  o.end = "2024-01-01T08:00:00Z";
  auto w = BuildWorkload(t, o, Nodes(2, 8));
  ASSERT_TRUE(w.ok()) << w.status().message();
  // Submissions at 2h..7h kept; the 64-GPU job (3h) set aside.
  EXPECT_EQ(w->jobs.size(), 5u);
  EXPECT_EQ(w->filtered_out, 4);
  EXPECT_EQ(w->unplaceable, 1);
  EXPECT_EQ(w->jobs.front().name, "j2");
  EXPECT_EQ(w->jobs.front().id, 1u);
  EXPECT_EQ(w->jobs.front().time_limit, 24 * kHour);  // the queue default
  o.max_jobs = 2;
  EXPECT_EQ(BuildWorkload(t, o, Nodes(2, 8))->jobs.size(), 2u);
}

TEST_F(WorkloadTest, DeferrableAndLimitsAreSeededPerJob) {
  Trace t = MakeTrace(400);
  WorkloadOptions o;
  o.trace_start = "2024-01-01T00:00:00Z";
  o.offpeak = {"Mon-Fri 20:00-07:00"};
  o.deferrable_fraction = 0.25;
  o.limit_factor = 2.0;
  o.limit_noise = 0.5;
  auto a = BuildWorkload(t, o, Nodes(1, 8));
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_GT(a->deferrable, 60);  // about 100 of 400
  EXPECT_LT(a->deferrable, 140);
  for (const auto& j : a->jobs) {
    EXPECT_GE(j.time_limit, 600 * kSecond);   // 600 s x 2 x (1 - 0.5)
    EXPECT_LE(j.time_limit, 1800 * kSecond);  // 600 s x 2 x (1 + 0.5)
    if (j.window == Window::kOffpeakPreferred) {
      EXPECT_EQ(j.deadline, j.submit + 600 * kSecond + 48 * kHour);
    }
  }
  // Filtering other jobs away does not change a job's draw.
  o.start = "100h";
  auto b = BuildWorkload(t, o, Nodes(1, 8));
  ASSERT_TRUE(b.ok());
  for (const auto& j : b->jobs) {
    const SimJob& same = a->jobs[j.id - 1 + 100];
    ASSERT_EQ(same.name, j.name);
    EXPECT_EQ(same.window, j.window);
    EXPECT_EQ(same.time_limit, j.time_limit);
  }
  o.seed = 2;
  auto c = BuildWorkload(t, o, Nodes(1, 8));
  int differ = 0;
  for (size_t i = 0; i < c->jobs.size(); ++i) differ += c->jobs[i].window != b->jobs[i].window;
  EXPECT_GT(differ, 0);
}

}  // namespace
}  // namespace muster::sim
