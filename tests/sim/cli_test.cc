// The muster-sim binary end to end: exit codes, --help, clear errors with
// line numbers for bad input, and the output files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace {

struct Outcome {
  int code = -1;
  std::string out;  // stdout and stderr, merged
};

Outcome RunSim(const std::string& args) {
  Outcome o;
  std::string cmd = std::string(MUSTER_SIM_BIN) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return o;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) o.out.append(buf.data(), n);
  int st = pclose(p);
  o.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}

class SimCli : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string Read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  muster::testing::TempDir tmp_{"muster-sim-test"};
  const std::string dir_ = tmp_.path();
};

TEST_F(SimCli, HelpAndUsageErrors) {
  Outcome h = RunSim("--help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("--trace"), std::string::npos);
  EXPECT_NE(h.out.find("--time-limit-from-duration"), std::string::npos);
  Outcome none = RunSim("");
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.out.find("--trace FILE is required"), std::string::npos);
  std::string t = Write("t.csv", "job_id,submit_time_s,num_gpus,duration_s\na,0,1,10\n");
  EXPECT_EQ(RunSim("--trace " + t).code, 2);  // no cluster
  Outcome bad_policy = RunSim("--trace " + t + " --nodes 1 --policy muster,nope");
  EXPECT_EQ(bad_policy.code, 2);
  EXPECT_NE(bad_policy.out.find("unknown policy 'nope'"), std::string::npos);
  Outcome missing = RunSim("--trace " + dir_ + "/absent.csv --nodes 1");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.out.find("cannot open"), std::string::npos);
  EXPECT_EQ(RunSim("--trace " + t + " --nodes 1 --deferrable-fraction 0.5").code, 2);  // no --offpeak
  EXPECT_EQ(RunSim("--trace " + t + " --nodes 1 --time-limit-from-duration x").code, 2);
}

TEST_F(SimCli, ClusterFile) {
  std::string t = Write("t.csv", "job_id,submit_time_s,num_gpus,duration_s\na,0,6,10\nb,0,2,10\n");
  std::string c = Write("c.csv", "name,gpus,rack,switch\nbig,8,r1,s1\nsmall,2,r1,s2\n");
  Outcome o = RunSim("--trace " + t + " --cluster " + c + " -q --json " + dir_ + "/r.json");
  ASSERT_EQ(o.code, 0) << o.out;
  auto j = nlohmann::json::parse(Read("r.json"));
  EXPECT_EQ(j["inputs"]["cluster"]["file"], "c.csv");
  EXPECT_EQ(j["inputs"]["cluster"]["gpus"], 10);
  EXPECT_EQ(j["inputs"]["cluster"]["description"], "2 nodes (10 GPUs), 2 switches, 1 racks");
  for (const auto& p : j["policies"]) EXPECT_EQ(p["avg_jct_s"], 10.0) << p["name"];  // both start at once
  std::string bad = Write("bad.csv", "name,gpus\nn1,8\nn1,4\n");
  Outcome b = RunSim("--trace " + t + " --cluster " + bad);
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.out.find("bad.csv:3: node 'n1' listed twice"), std::string::npos) << b.out;
  EXPECT_EQ(RunSim("--trace " + t + " --cluster " + c + " --nodes 2").code, 2);
}

TEST_F(SimCli, MalformedTraceNamesTheLine) {
  std::string t = Write("bad.csv", "job_id,submit_time_s,num_gpus,duration_s\na,0,1,10\nb,5,two,10\n");
  Outcome o = RunSim("--trace " + t + " --nodes 1");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("bad.csv:3: num_gpus 'two' is not a whole number of GPUs >= 1"), std::string::npos)
      << o.out;
  Outcome skipped = RunSim("--trace " + t + " --nodes 1 --skip-bad-rows -q");
  EXPECT_EQ(skipped.code, 0) << skipped.out;
  EXPECT_NE(skipped.out.find("skipped 1 malformed rows"), std::string::npos);
}

TEST_F(SimCli, WritesTableJsonCsvAndSvg) {
  std::string t = Write("t.csv",
                        "job_id,submit_time_s,num_gpus,duration_s,vc\n"
                        "a,0,1,100,x\nb,1,1,10,y\nc,2,4,1,x\nd,3,16,50,y\n");
  Outcome o = RunSim("--trace " + t + " --nodes 2 --gpus-per-node 4 --json " + dir_ + "/r.json --csv " +
                     dir_ + "/r.csv --svg " + dir_ + "/r.svg --team-csv " + dir_ + "/teams.csv --jobs-csv " +
                     dir_ + "/jobs.csv");
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("muster-sim: t.csv, 3 jobs (+1 too large for the cluster)"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("jobs/s"), std::string::npos);
  EXPECT_EQ(o.out.find('\r'), std::string::npos);  // no progress bar when stderr is not a terminal
  auto j = nlohmann::ordered_json::parse(Read("r.json"));
  ASSERT_EQ(j["policies"].size(), 4u);
  const std::vector<std::string> keys = {"name",        "jobs",        "avg_jct_s",     "median_jct_s",
                                         "p95_jct_s",   "p99_jct_s",   "avg_queue_s",   "makespan_s",
                                         "utilization", "preemptions", "offpeak_share", "deadline_misses",
                                         "fairness"};
  std::vector<std::string> got;
  for (auto it = j["policies"][0].begin(); it != j["policies"][0].end(); ++it) got.push_back(it.key());
  EXPECT_EQ(got, keys);
  EXPECT_EQ(j["inputs"]["trace"]["file"], "t.csv");
  EXPECT_EQ(j["inputs"]["trace"]["unplaceable"], 1);
  EXPECT_EQ(j["inputs"]["cluster"]["gpus"], 8);
  std::string csv = Read("r.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  EXPECT_EQ(csv.rfind("name,jobs,avg_jct_s,", 0), 0u);
  EXPECT_EQ(Read("teams.csv").rfind("policy,team,jobs,gpu_hours,avg_jct_s,avg_slowdown\nmuster,x,", 0), 0u);
  std::string jobs = Read("jobs.csv");
  EXPECT_EQ(std::count(jobs.begin(), jobs.end(), '\n'), 1 + 4 * 3);
  // fifo: b (1 GPU, 10 s) starts at once on a free GPU and ends 10 s later.
  EXPECT_NE(jobs.find("\nfifo,b,y,1,1,10,0,10,0,0,0\n"), std::string::npos) << jobs;
  std::string svg = Read("r.svg");
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  for (const char* p : {"muster", "fifo", "las", "srtf"})
    EXPECT_NE(svg.find(std::string(">") + p + "<"), std::string::npos);
  // Same inputs, same bytes.
  ASSERT_EQ(RunSim("--trace " + t + " --nodes 2 --gpus-per-node 4 -q --json " + dir_ + "/r2.json").code, 0);
  EXPECT_EQ(Read("r.json"), Read("r2.json"));
}

}  // namespace
