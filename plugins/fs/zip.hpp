// The zip container (PKZIP APPNOTE 6.3, without zip64 or encryption) for gou's Zip and Unzip:
// archives built and read in memory, deflate by zlib. No file system here: methods.cpp reads and
// writes through the sandbox.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fsplugin::zip {

// A malformed or unsupported archive (code 400), or one over a limit (413).
class Error : public std::runtime_error {
public:
  Error(int32_t code, const std::string& why) : std::runtime_error(why), code_(code) {}
  int32_t code() const noexcept { return code_; }

private:
  int32_t code_;
};

struct File {
  std::string name;  // "a/b.txt": '/'-separated, relative
  std::string data;
  std::time_t mtime = 0;
  uint32_t mode = 0644;  // Unix permission bits, kept in the external attributes
};

// The archive of files, each deflated unless that makes it larger. Throws Error (413) past 65535
// files or 4 GiB, which need zip64.
std::string write(const std::vector<File>& files);

// Calls on_file(name, data) for each file of archive, in order (directory entries are skipped).
// A file larger than max_file bytes, or all of them together past max_total, is a 413 Error.
void read(std::string_view archive, uint64_t max_file, uint64_t max_total,
          const std::function<void(const std::string& name, std::string data)>& on_file);

}  // namespace fsplugin::zip
