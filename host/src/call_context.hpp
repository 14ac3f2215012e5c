// What a call carries: the scope shared by a call and its nested calls, and
// the per-invocation phost_call_ctx a handler sees.
#pragma once

#include <phost/plugin_api.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

struct phost_cancel {
  std::atomic<bool> cancelled{false};
};

namespace phost {

class Host;

struct CallScope {
  std::string_view session;
  const phost_value* subject = nullptr;
  const phost_value* global = nullptr;
  int64_t deadline_ns = 0;
  const phost_cancel* cancel = nullptr;
};

// What a failing handler said, or what a failed nested call reported.
struct Failure {
  int32_t code = 0;
  std::string message;
  std::string stack;
};
inline Failure& made(std::optional<Failure>& f) noexcept { return f ? *f : f.emplace(); }

int64_t clock_ns() noexcept;
// clock_ns() >= deadline_ns, cheaper while the deadline is far.
bool deadline_passed(int64_t deadline_ns) noexcept;

// The earlier of two deadlines, 0 meaning none.
inline int64_t earlier(int64_t a, int64_t b) noexcept { return !a ? b : !b ? a : (a < b ? a : b); }

// Why a scope can no longer run calls: PHOST_OK, PHOST_E_CANCELLED or PHOST_E_TIMEOUT.
inline phost_status scope_stopped(const CallScope& scope) noexcept {
  if (scope.cancel && scope.cancel->cancelled.load(std::memory_order_relaxed)) return PHOST_E_CANCELLED;
  if (scope.deadline_ns && deadline_passed(scope.deadline_ns)) return PHOST_E_TIMEOUT;
  return PHOST_OK;
}

}  // namespace phost

struct phost_call_ctx {
  phost::Host* host;
  const phost::CallScope* scope;
  const phost_call_ctx* parent;  // the call this one is nested in, or NULL
  uint32_t depth;
  // Set by ctx_set_deadline, read from any thread (a watchdog's ctx_cancelled).
  std::atomic<int64_t> own_deadline_ns{0};
  std::string_view name, id, method;

  // A handler may hand its ctx to several threads of its own, as the parent
  // of their nested calls: the fields below are written under this lock.
  // The host reads them after the handler returned, when those threads are done.
  std::mutex mutex;

  // Set by ctx_set_error (has_error) and ctx_set_error_stack.
  bool has_error = false;
  std::optional<phost::Failure> error;  // made on first use: most calls never fail

  // The last failed nested call made through this ctx, forwarded when the
  // handler returns a failure without ctx_set_error.
  phost_status nested_status = PHOST_OK;
  std::optional<phost::Failure> nested;
};
