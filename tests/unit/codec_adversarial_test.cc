// Hostile bytes the encoder never produces: out-of-range enums, unknown
// message types, pointer bombs. The generated headers are private to
// common/proto, so this test reads the public schema file (muster.capnp) at
// run time and builds messages through Cap'n Proto's dynamic API, or by hand
// with field offsets taken from that schema: no offset is hard-coded, so the
// test follows the schema if fields move.
#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/schema-parser.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <kj/filesystem.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/proto/codec.h"
#include "common/proto/messages.h"

#ifndef MUSTER_CAPNP_SCHEMA
#error "MUSTER_CAPNP_SCHEMA must name common/proto/muster.capnp"
#endif
#ifndef MUSTER_CAPNP_IMPORT_DIR
#define MUSTER_CAPNP_IMPORT_DIR "/usr/include"
#endif

namespace muster::wire {
namespace {

// ---- the schema, parsed once -------------------------------------------------------

class WireSchema {
 public:
  static const WireSchema& Get() {
    static const WireSchema* s = new WireSchema();  // leaked: outlives every test
    return *s;
  }

  capnp::StructSchema Struct(const char* name) const { return file_.getNested(name).asStruct(); }

  // Bytes of a message built through the dynamic API.
  static std::string Bytes(capnp::MessageBuilder& mb) {
    auto words = capnp::messageToFlatArray(mb);
    auto bytes = words.asBytes();
    return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
  }

 private:
  WireSchema() : fs_(kj::newDiskFilesystem()) {
    auto rel = [](const char* abs) { return kj::Path::parse(kj::StringPtr(abs).slice(1)); };
    import_dir_ = fs_->getRoot().openSubdir(rel(MUSTER_CAPNP_IMPORT_DIR));
    imports_[0] = import_dir_.get();
    file_ = parser_.parseFromDirectory(fs_->getRoot(), rel(MUSTER_CAPNP_SCHEMA), kj::arrayPtr(imports_, 1));
  }

  kj::Own<kj::Filesystem> fs_;
  kj::Own<const kj::ReadableDirectory> import_dir_;
  const kj::ReadableDirectory* imports_[1] = {nullptr};
  capnp::SchemaParser parser_;
  capnp::ParsedSchema file_;
};

// A dynamic Envelope with version 1 whose body is `member`.
struct DynEnvelope {
  capnp::MallocMessageBuilder mb;
  capnp::DynamicStruct::Builder root;
  capnp::DynamicStruct::Builder body;

  explicit DynEnvelope(const char* member) {
    root = mb.initRoot<capnp::DynamicStruct>(WireSchema::Get().Struct("Envelope"));
    root.set("version", kProtocolVersion);
    root.set("requestId", 9);
    body = root.get("body").as<capnp::DynamicStruct>().init(member).as<capnp::DynamicStruct>();
  }
  std::string Bytes() { return WireSchema::Bytes(mb); }
};

// A Job with the minimum a valid decode needs, inside a JobList.
capnp::DynamicStruct::Builder AddJob(DynEnvelope& e) {
  auto jobs = e.body.init("jobs", 1).as<capnp::DynamicList>();
  auto job = jobs[0].as<capnp::DynamicStruct>();
  job.set("id", 5);
  return job;
}

void ExpectCorruptionMentioning(const Status& st, const std::string& what) {
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find(what), std::string::npos) << st.ToString();
}

TEST(CodecAdversarial, DynamicBuilderMatchesCodec) {
  // Sanity of the harness: a message built here decodes as the codec's own.
  DynEnvelope e("cancelJob");
  e.body.set("id", 777);
  auto r = Decode(e.Bytes());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->request_id, 9u);
  EXPECT_EQ(std::get<CancelJob>(r->body).id, 777u);
}

// ---- out-of-range enums ----------------------------------------------------------

TEST(CodecAdversarial, JobStateOutOfRange) {
  DynEnvelope e("jobList");
  AddJob(e).set("state", 200);
  auto r = Decode(e.Bytes());
  ASSERT_FALSE(r.ok());
  ExpectCorruptionMentioning(r.status(), "state");
}

TEST(CodecAdversarial, LastValidEnumValuesAccepted) {
  DynEnvelope e("jobList");
  auto job = AddJob(e);
  job.set("state", static_cast<int>(JobState::kNodeFail));
  job.set("reason", static_cast<int>(PendingReason::kPreempted));
  job.set("hasEnding", true);
  job.set("ending", static_cast<int>(JobState::kNodeFail));
  auto spec = job.init("spec").as<capnp::DynamicStruct>();
  spec.set("window", 2);
  spec.set("kind", 1);
  spec.set("ranksPerNode", 1);
  auto r = Decode(e.Bytes());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Job& j = std::get<JobList>(r->body).jobs.at(0);
  EXPECT_EQ(j.state, JobState::kNodeFail);
  EXPECT_EQ(j.reason, PendingReason::kPreempted);
  EXPECT_EQ(j.ending, JobState::kNodeFail);
  EXPECT_EQ(j.spec.window, Window::kOffpeakPreferred);
  EXPECT_EQ(j.spec.kind, JobKind::kRetrain);
  EXPECT_EQ(j.spec.ranks_per_node, RanksPerNode::kOne);
}

TEST(CodecAdversarial, EveryJobEnumJustPastTheEnd) {
  struct Case {
    const char* field;
    int value;
    bool in_spec;
  };
  const Case cases[] = {
      {"state", static_cast<int>(JobState::kNodeFail) + 1, false},
      {"reason", static_cast<int>(PendingReason::kPreempted) + 1, false},
      {"window", 3, true},
      {"kind", 2, true},
      {"ranksPerNode", 2, true},
      {"state", 255, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.field) + "=" + std::to_string(c.value));
    DynEnvelope e("jobList");
    auto job = AddJob(e);
    if (c.in_spec)
      job.init("spec").as<capnp::DynamicStruct>().set(c.field, c.value);
    else
      job.set(c.field, c.value);
    auto r = Decode(e.Bytes());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  }
}

TEST(CodecAdversarial, EndingOnlyCheckedWhenPresent) {
  {
    DynEnvelope e("jobList");
    auto job = AddJob(e);
    job.set("hasEnding", false);
    job.set("ending", 200);  // ignored: no ending
    auto r = Decode(e.Bytes());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE(std::get<JobList>(r->body).jobs.at(0).ending.has_value());
  }
  {
    DynEnvelope e("jobList");
    auto job = AddJob(e);
    job.set("hasEnding", true);
    job.set("ending", 200);
    auto r = Decode(e.Bytes());
    ASSERT_FALSE(r.ok());
    ExpectCorruptionMentioning(r.status(), "ending");
  }
}

TEST(CodecAdversarial, ListJobsStateOutOfRange) {
  DynEnvelope e("listJobs");
  auto states = e.body.init("states", 2).as<capnp::DynamicList>();
  states.set(0, 1);
  states.set(1, 9);
  auto r = Decode(e.Bytes());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
}

// A client built before the array filter sends ListJobs without it: that
// must read as "every job", not as "task 0 of job 0". A task index only
// counts with hasArrayTask, and a negative one means every task.
TEST(CodecAdversarial, ListJobsWithoutTheArrayFilterFiltersNothing) {
  DynEnvelope e("listJobs");
  e.body.set("team", "vision");
  auto r = Decode(e.Bytes());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& m = std::get<ListJobs>(r->body);
  EXPECT_EQ(m.team, "vision");
  EXPECT_EQ(m.array_job, kNoJob);
  EXPECT_EQ(m.array_task, -1);

  DynEnvelope task("listJobs");
  task.body.set("arrayJob", 42);
  task.body.set("arrayTask", 7);
  r = Decode(task.Bytes());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(std::get<ListJobs>(r->body).array_task, -1) << "no hasArrayTask: no task filter";
  task.body.set("hasArrayTask", true);
  EXPECT_EQ(std::get<ListJobs>(Decode(task.Bytes())->body).array_task, 7);
  task.body.set("arrayTask", -9);
  EXPECT_EQ(std::get<ListJobs>(Decode(task.Bytes())->body).array_task, -1);
}

TEST(CodecAdversarial, NodeStateOutOfRangeInNodeListAndRegister) {
  for (const char* member : {"nodeList", "register"}) {
    SCOPED_TRACE(member);
    DynEnvelope e(member);
    capnp::DynamicStruct::Builder node;
    if (std::string(member) == "nodeList")
      node = e.body.init("nodes", 1)
                 .as<capnp::DynamicList>()[0]
                 .as<capnp::DynamicStruct>()
                 .init("node")
                 .as<capnp::DynamicStruct>();
    else
      node = e.body.init("node").as<capnp::DynamicStruct>();
    node.set("name", "n1");
    node.set("state", 3);
    auto r = Decode(e.Bytes());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  }
}

TEST(CodecAdversarial, RecordEnumsOutOfRange) {
  {
    capnp::MallocMessageBuilder mb;
    auto job = mb.initRoot<capnp::DynamicStruct>(WireSchema::Get().Struct("Job"));
    job.set("reason", 12);
    EXPECT_EQ(DecodeJob(WireSchema::Bytes(mb)).status().code(), StatusCode::kCorruption);
  }
  {
    capnp::MallocMessageBuilder mb;
    auto node = mb.initRoot<capnp::DynamicStruct>(WireSchema::Get().Struct("Node"));
    node.set("state", 3);
    EXPECT_EQ(DecodeNode(WireSchema::Bytes(mb)).status().code(), StatusCode::kCorruption);
  }
  for (const char* field : {"from", "to"}) {
    capnp::MallocMessageBuilder mb;
    auto ev = mb.initRoot<capnp::DynamicStruct>(WireSchema::Get().Struct("JobEvent"));
    ev.set(field, 9);
    auto r = DecodeJobEvent(WireSchema::Bytes(mb));
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << field;
  }
}

TEST(CodecAdversarial, UnknownErrorCodeBecomesUnknown) {
  // Documented leniency: a newer peer's error code reads as kUnknown, the
  // message is kept.
  DynEnvelope e("error");
  e.body.set("code", 999);
  e.body.set("message", "from the future");
  auto r = Decode(e.Bytes());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(std::get<Error>(r->body), (Error{ErrorCode::kUnknown, "from the future"}));
}

// ---- raw words, offsets from the schema -----------------------------------------------

// One segment of words plus helpers to write pointers (capnp encoding spec).
struct RawSegment {
  std::vector<uint64_t> w;

  size_t Alloc(size_t n) {
    size_t at = w.size();
    w.resize(at + n, 0);
    return at;
  }
  static uint64_t Offset(size_t from, size_t to) {
    int64_t off = static_cast<int64_t>(to) - static_cast<int64_t>(from) - 1;
    return static_cast<uint32_t>(off * 4);
  }
  void StructPtr(size_t at, size_t target, uint16_t data_words, uint16_t ptrs) {
    w[at] = Offset(at, target) | (uint64_t{data_words} << 32) | (uint64_t{ptrs} << 48);
  }
  // elem_size: 2 byte, 6 pointer, 7 inline composite (count = words then).
  void ListPtr(size_t at, size_t target, uint8_t elem_size, uint32_t count) {
    w[at] = Offset(at, target) | 1 | (uint64_t{(count << 3) | elem_size} << 32);
  }
  void CompositeTag(size_t at, uint32_t elements, uint16_t data_words, uint16_t ptrs) {
    w[at] = (uint64_t{elements} << 2) | (uint64_t{data_words} << 32) | (uint64_t{ptrs} << 48);
  }
  void Set16(size_t struct_at, uint32_t offset_in_u16, uint16_t v) {
    std::memcpy(reinterpret_cast<char*>(&w[struct_at]) + offset_in_u16 * 2, &v, 2);
  }
  std::string Bytes() const {
    uint32_t hdr[2] = {0, static_cast<uint32_t>(w.size())};
    std::string out(reinterpret_cast<const char*>(hdr), 8);
    out.append(reinterpret_cast<const char*>(w.data()), w.size() * 8);
    return out;
  }
};

struct Layout {
  uint16_t data = 0, ptrs = 0;
};
Layout LayoutOf(capnp::StructSchema s) {
  auto p = s.getProto().getStruct();
  return {p.getDataWordCount(), p.getPointerCount()};
}
uint32_t SlotOf(capnp::StructSchema s, const char* field) {
  return s.getFieldByName(field).getProto().getSlot().getOffset();
}

// Root Envelope (version 1) whose body member `member` points at a new
// struct of `child` layout; returns the word index of that child.
size_t EnvelopeWithBody(RawSegment& seg, const char* member, Layout child, uint16_t discriminant_override = 0,
                        bool override_discriminant = false) {
  const auto& schema = WireSchema::Get();
  auto env = schema.Struct("Envelope");
  auto body = env.getFieldByName("body").getType().asStruct();
  auto field = body.getFieldByName(member);
  Layout el = LayoutOf(env);

  size_t root = seg.Alloc(1);
  size_t env_at = seg.Alloc(el.data + el.ptrs);
  seg.StructPtr(root, env_at, el.data, el.ptrs);
  seg.Set16(env_at, SlotOf(env, "version"), kProtocolVersion);
  seg.Set16(env_at, body.getProto().getStruct().getDiscriminantOffset(),
            override_discriminant ? discriminant_override : field.getProto().getDiscriminantValue());
  size_t child_at = seg.Alloc(child.data + child.ptrs);
  seg.StructPtr(env_at + el.data + field.getProto().getSlot().getOffset(), child_at, child.data, child.ptrs);
  return child_at;
}

TEST(CodecAdversarial, RawHarnessBuildsAValidMessage) {
  RawSegment seg;
  auto sr = WireSchema::Get().Struct("SubmitReply");
  size_t at = EnvelopeWithBody(seg, "submitReply", LayoutOf(sr));
  seg.w[at + SlotOf(sr, "id")] = 4242;
  auto r = Decode(seg.Bytes());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(std::get<SubmitReply>(r->body).id, 4242u);
}

TEST(CodecAdversarial, UnknownMessageTypeIsCorruption) {
  // A newer peer's body member (discriminant past the last one we know).
  auto body = WireSchema::Get().Struct("Envelope").getFieldByName("body").getType().asStruct();
  uint16_t past_end = static_cast<uint16_t>(body.getUnionFields().size());
  for (uint16_t d : {past_end, uint16_t{0xFFFF}}) {
    RawSegment seg;
    EnvelopeWithBody(seg, "ok", {0, 0}, d, true);
    auto r = Decode(seg.Bytes());
    ASSERT_FALSE(r.ok()) << d;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  }
}

// argv: a list of `n` text pointers that all alias one `text_bytes` string.
std::string AliasedArgvBomb(uint32_t n, uint32_t text_bytes) {
  const auto& schema = WireSchema::Get();
  auto submit = schema.Struct("SubmitJob");
  auto spec = schema.Struct("JobSpec");
  Layout sl = LayoutOf(spec);
  RawSegment seg;
  size_t submit_at = EnvelopeWithBody(seg, "submitJob", LayoutOf(submit));
  size_t spec_at = seg.Alloc(sl.data + sl.ptrs);
  seg.StructPtr(submit_at + SlotOf(submit, "spec"), spec_at, sl.data, sl.ptrs);
  size_t list_at = seg.Alloc(n);
  seg.ListPtr(spec_at + sl.data + SlotOf(spec, "argv"), list_at, 6, n);
  size_t text_words = (text_bytes + 1 + 7) / 8;
  size_t text_at = seg.Alloc(text_words);
  std::memset(reinterpret_cast<char*>(&seg.w[text_at]), 'A', text_bytes);  // NUL-terminated by the zero fill
  for (uint32_t i = 0; i < n; ++i) seg.ListPtr(list_at + i, text_at, 2, text_bytes + 1);
  return seg.Bytes();
}

TEST(CodecAdversarial, AliasedPointersWithinLimitDecode) {
  std::string bytes = AliasedArgvBomb(100, 100);
  auto r = Decode(bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& argv = std::get<SubmitJob>(r->body).spec.argv;
  ASSERT_EQ(argv.size(), 100u);
  EXPECT_EQ(argv[99], std::string(100, 'A'));
}

TEST(CodecAdversarial, PointerBombIsBoundedByTraversalLimit) {
  // ~240 KB on the wire claiming 30000 x 8 KB = 240 MB of argv.
  std::string bytes = AliasedArgvBomb(30000, 8000 - 1);
  ASSERT_LT(bytes.size(), kMaxFrameBytes);
  auto start = std::chrono::steady_clock::now();
  auto r = Decode(bytes);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok()) << "decoded " << std::get<SubmitJob>(r->body).spec.argv.size() << " args";
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_LT(took, std::chrono::seconds(2));
}

// jobs: an inline-composite list claiming `n` zero-sized Job structs.
std::string ZeroSizedJobList(uint32_t n) {
  auto jl = WireSchema::Get().Struct("JobList");
  RawSegment seg;
  size_t jl_at = EnvelopeWithBody(seg, "jobList", LayoutOf(jl));
  size_t tag_at = seg.Alloc(1);
  seg.ListPtr(jl_at + SlotOf(jl, "jobs"), tag_at, 7, 0);
  seg.CompositeTag(tag_at, n, 0, 0);
  return seg.Bytes();
}

TEST(CodecAdversarial, FewZeroSizedStructsDecode) {
  auto r = Decode(ZeroSizedJobList(1000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(std::get<JobList>(r->body).jobs.size(), 1000u);
}

TEST(CodecAdversarial, TenMillionEmptyStructsIsBounded) {
  // 40 bytes on the wire claiming 10M Jobs.
  std::string bytes = ZeroSizedJobList(10'000'000);
  ASSERT_LT(bytes.size(), 64u);
  auto start = std::chrono::steady_clock::now();
  auto r = Decode(bytes);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok()) << "decoded " << std::get<JobList>(r->body).jobs.size() << " jobs";
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST(CodecAdversarial, MissingFieldsReadAsZeroNotAsCppDefaults) {
  // Documents schema-evolution behaviour: a JobSpec whose sender's schema
  // predates a field (here: an empty struct) yields 0 for it, not the C++
  // default; the schema declares no defaults (e.g. graceSeconds = 30).
  DynEnvelope e("submitJob");
  e.body.init("spec");
  auto r = Decode(e.Bytes());
  ASSERT_TRUE(r.ok());
  const JobSpec& s = std::get<SubmitJob>(r->body).spec;
  EXPECT_EQ(s.max_restarts, 0) << "C++ default is " << JobSpec{}.max_restarts;
  EXPECT_EQ(s.grace_seconds, 0) << "C++ default is " << JobSpec{}.grace_seconds;
}

}  // namespace
}  // namespace muster::wire
