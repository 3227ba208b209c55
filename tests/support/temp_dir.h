// A scratch directory for one test, removed with everything in it when the
// test ends. Set MUSTER_KEEP_TEST_DIRS=1 to keep it for a post-mortem.
#pragma once

#include <string>

namespace muster::testing {

class TempDir {
 public:
  // Creates $TMPDIR/<prefix>-XXXXXX (TMPDIR defaults to /tmp).
  explicit TempDir(const std::string& prefix = "muster-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name (not created).
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }
  // path()/name, created (with parents).
  std::string MakeSub(const std::string& name) const;
  void set_keep(bool keep) { keep_ = keep; }

 private:
  std::string path_;
  bool keep_ = false;
};

}  // namespace muster::testing
