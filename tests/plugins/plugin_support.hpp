// Helpers for the shipped plugins' tests: a quiet phost::Host, temporary
// directories, calls that give back the error, the CLI run as a user would.
#pragma once

#include <phost/host.hpp>

#include <doctest/doctest.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

namespace plugin_test {

namespace stdfs = std::filesystem;

// A fresh directory under the temp dir, removed with everything in it.
class TempDir {
public:
  explicit TempDir(const std::string& tag) {
    std::string pattern = (stdfs::temp_directory_path() / ("phost-" + tag + "-XXXXXX")).string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    // Canonical: the sandbox compares resolved paths (/tmp may itself be a link).
    path_ = stdfs::canonical(pattern);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    stdfs::remove_all(path_, ec);
  }
  const stdfs::path& path() const noexcept { return path_; }
  std::string str() const { return path_.string(); }
  stdfs::path operator/(const std::string& rel) const { return path_ / rel; }

private:
  stdfs::path path_;
};

inline void write_file(const stdfs::path& file, std::string_view data) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  REQUIRE(out.good());
}

inline std::string read_file(const stdfs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline phost::HostOptions quiet() {
  phost::HostOptions o;
  o.log = [](int, std::string_view, std::string_view) {};
  return o;
}

struct Failure {
  int32_t code = 0;  // 0: no failure
  std::string message;
};
inline std::ostream& operator<<(std::ostream& os, const Failure& f) {
  return os << "{" << f.code << ", \"" << f.message << "\"}";
}

// The error of a call, or code 0 when it succeeded.
inline Failure error_of(phost::Host& host, std::string_view name, const phost::Value& args = phost::args()) {
  try {
    host.call(name, args);
    return {};
  } catch (const phost::Error& e) {
    return {e.code(), e.what()};
  }
}

// The error of a plugin load, or code 0 when it loaded.
inline Failure load_error(phost::Host& host, std::string_view path, const phost::Value& config) {
  try {
    host.load_plugin(path, config);
    return {};
  } catch (const phost::Error& e) {
    return {e.code(), e.what()};
  }
}

inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// The result of a call as JSON; fails the test when the call fails.
inline std::string json(phost::Host& host, std::string_view name, const phost::Value& args = phost::args()) {
  try {
    return host.call(name, args).to_json();
  } catch (const phost::Error& e) {
    FAIL("call ", name, " failed with ", e.code(), ": ", e.what());
    return {};
  }
}

// Runs a shell command as given; its stdout and exit status.
struct Run {
  int status = -1;
  std::string output;
};
inline Run run_shell(const std::string& command) {
  Run r;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t n = 0;
  while ((n = ::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
  const int raw = ::pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

// Runs a shell command; its output (stdout and stderr) and exit status.
inline Run run(const std::string& command) { return run_shell(command + " 2>&1"); }

// A command's stdout, stderr and exit status apart.
struct RunApart {
  int status = -1;
  std::string out, err;
};
inline RunApart run_apart(const std::string& command) {
  TempDir dir("stderr");
  const Run r = run_shell(command + " 2>" + (dir / "err").string());
  std::ifstream err(dir / "err", std::ios::binary);
  return {r.status, r.output, std::string(std::istreambuf_iterator<char>(err), {})};
}

}  // namespace plugin_test
