// The worker's system call filter ("worker_seccomp", on by default): a
// plugin in a worker cannot run programs, start processes or signal its
// host (by pid or pidfd) or set its limits, and still runs threads; off, the
// worker is unfiltered.
#include <phost/host.hpp>

#include <doctest/doctest.h>

#include "worker_support.hpp"

#include <cerrno>
#include <string>

namespace {

using phost::Value;

// AddressSanitizer builds run workers unfiltered (worker/seccomp.hpp).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kFiltered = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
constexpr bool kFiltered = false;
#else
constexpr bool kFiltered = PHOST_HAVE_SECCOMP;
#endif
#else
constexpr bool kFiltered = PHOST_HAVE_SECCOMP;
#endif

Value isolated(const char* seccomp_json) {
  return Value::from_json(std::string(R"({"isolation": "process")") +
                          (seccomp_json ? std::string(R"(, "worker_seccomp": )") + seccomp_json : "") + "}");
}

}  // namespace

TEST_SUITE("workers") {

TEST_CASE("a worker's system call filter refuses programs, processes and signals to its host, and allows threads") {
  if (!kFiltered) {
    MESSAGE("built without libseccomp, or with AddressSanitizer: workers run unfiltered");
    return;
  }
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, isolated(nullptr));
  const Value got = host.call("w.syscalls");
  INFO(got.to_json());
  CHECK(got["spawn"].as_int() == EPERM);
  CHECK(got["fork"].as_int() == EPERM);
  CHECK(got["signal_host"].as_int() == EPERM);
  CHECK(got["signal_group"].as_int() == EPERM);
  CHECK(got["signal_self"].as_int() == 0);
  CHECK(got["pidfd_signal_host"].as_int() == EPERM);  // was 0: pidfd_send_signal(SIGKILL) killed the host
  CHECK(got["host_rlimit"].as_int() == EPERM);        // was 0: prlimit could set the host's limits
  CHECK(got["own_rlimit"].as_int() == 0);
  CHECK(got["thread"].as_bool());
  CHECK(host.call("w.pid").as_int() > 0);  // still serving
}

TEST_CASE("worker_seccomp false leaves the worker unfiltered") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, isolated("false"));
  const Value got = host.call("w.syscalls");
  INFO(got.to_json());
  CHECK(got["spawn"].as_int() == 0);
  CHECK(got["fork"].as_int() == 0);
  CHECK(got["signal_host"].as_int() == 0);
  CHECK(got["pidfd_signal_host"].as_int() == 0);
  CHECK(got["host_rlimit"].as_int() == 0);
  CHECK(got["thread"].as_bool());
}

TEST_CASE("worker_seccomp must be a boolean") {
  phost::Host host = test::quiet_host();
  try {
    host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, isolated(R"("yes")"));
    FAIL("loaded");
  } catch (const phost::Error& e) {
    CHECK(e.code() == 400);
    CHECK(std::string(e.what()).find("worker_seccomp") != std::string::npos);
  }
}

}  // TEST_SUITE
