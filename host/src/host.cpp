#include "host.hpp"

#include "error.hpp"
#include "foreign_call.hpp"
#include "log.hpp"
#include "process_ref.hpp"
#include "serial_gate.hpp"
#include "stop_signal.hpp"
#include "thread_stack.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>

namespace phost {
namespace {

constexpr uint32_t kDefaultMaxDepth = 256;
// Deeper native recursion would risk the thread's stack; a clear error is better.
constexpr uint32_t kMaxDepthLimit = 4096;
// A nested call is refused when its thread has less stack left than this: room
// for the handler about to run and for unwinding the error. One hop through
// the host takes about 1 KB (4 KB under ASan), so the default depth fits in an
// MSVC thread's 1 MB; on Linux's 8 MB the depth limit trips first.
constexpr size_t kStackReserve = 128 * 1024;

bool known_status(phost_status s) noexcept { return s > PHOST_OK && s <= PHOST_E_INTERNAL; }

}  // namespace

int64_t clock_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool deadline_passed(int64_t deadline_ns) noexcept {
#ifdef __linux__
  // steady_clock is CLOCK_MONOTONIC; its _COARSE twin is the same clock as of
  // the last tick, never ahead of it, and costs 4 ns to read instead of 16.
  // Far from the deadline it answers alone; near it the exact clock decides.
  // So it never answers early; it can answer late only while the coarse
  // clock lags by more than the slack, which lasts until the next tick
  // (a VM resumed from a pause).
  constexpr int64_t kCoarseSlack = 50'000'000;  // ticks are 1-10 ms apart
  timespec coarse;
  if (clock_gettime(CLOCK_MONOTONIC_COARSE, &coarse) == 0 &&
      int64_t{coarse.tv_sec} * 1'000'000'000 + coarse.tv_nsec + kCoarseSlack < deadline_ns)
    return false;
#endif
  return clock_ns() >= deadline_ns;
}

namespace {
std::atomic<uint64_t> g_next_host_id{1};
}  // namespace

Host::Host(const phost_host_config& config)
    : id_(g_next_host_id++),
      max_depth_(config.max_depth ? std::min(config.max_depth, kMaxDepthLimit) : kDefaultMaxDepth),
      level_(to_spdlog_level(config.log_level)),
      sinks_(make_sinks(config.log, config.log_data)),
      logger_(make_logger("phost", sinks_, level_)),
      application_(std::make_unique<phost_plugin>(*this, "")) {
  application_->info.name = "application";
  application_->logger = logger_;
}

Host::~Host() {
  // The order phost_host_destroy documents. From here on every call and
  // registration is refused, from any thread, so no plugin is entered after
  // its on_unload and nothing registers a finalizer into an unloaded library.
  closing_.store(true);
  notify_stop_waiters();  // handlers waiting in ctx_wait return at once
  registry_.close();
  // Calls already running (on a plugin's own threads) end while every plugin
  // is loaded; their nested calls are refused, which hurries them along. A
  // poll, not a wake-up: a call must not touch the host after its last
  // decrement, since the host may be gone the moment the count reads 0.
  for (int polls = 1; in_flight_.sum() != 0; ++polls) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (polls % 5000 == 0) logger_->warn("host destruction waits for {} call(s) still running", in_flight_.sum());
  }
  for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it) {
    phost_plugin& p = **it;
    if (p.info.on_unload && !run_foreign([&] { p.info.on_unload(p.info.plugin_data); }))
      logger_->error("plugin {} threw an exception from on_unload (the C ABI forbids it); ignored", p.info.name ? p.info.name : "?");
    registry_.remove_owned_by(&p);  // its finalizers, now: no call holds its processes
  }
  registry_.clear();  // the application's processes
  while (!plugins_.empty()) plugins_.pop_back();
}

Host::InFlight::InFlight(Host& host, const phost_call_ctx* parent, std::string_view name)
    : host_(host), stripe_(this_threads_stripe()), counted_(!parent) {
  // Sequentially consistent with ~Host: either this call sees closing_ or
  // the destructor sees it counted and waits for it.
  if (counted_) host_.in_flight_.add(stripe_);
  if (host_.closing_.load()) {
    if (counted_) host_.in_flight_.sub(stripe_);  // no destructor runs for a constructor that throws
    throw Error(PHOST_E_CANCELLED, "host is being destroyed: '" + std::string(name.substr(0, kMaxNameLength)) +
                                       "' was not called",
                503);
  }
  outer_ = innermost;
  innermost = this;
}

Host::InFlight::~InFlight() {
  // This call's process, if it was unregistered meanwhile. Its finalizer runs
  // inside the call, as far as the host knows: it may not destroy the host.
  if (process_) host_.registry_.sweep(process_, identity_);
  innermost = outer_;
  if (counted_) host_.in_flight_.sub(stripe_);  // the last touch of the host
}

thread_local constinit const Host::InFlight* Host::InFlight::innermost PHOST_FAST_TLS = nullptr;

const char* Host::cannot_destroy() const noexcept {
  if (closing_.load()) return "the host is already being destroyed";
  for (const InFlight* call = InFlight::innermost; call; call = call->outer())
    if (&call->host() == this) return "called from inside a call of this host";
  return nullptr;
}

std::shared_ptr<spdlog::logger> Host::make_plugin_logger(std::string_view plugin_name) const {
  return make_logger("phost." + std::string(plugin_name), sinks_, level_);
}

phost_value* Host::call(phost_call_ctx* parent, const CallScope& scope, std::string_view name,
                        const phost_value* args) {
  InFlight counted(*this, parent, name);
  char buffer[kMaxNameLength];
  const ProcessName parsed = parse_process_name(name, buffer);
  return dispatch(counted, parent, scope, name, parsed, nullptr, args);
}

phost_value* Host::call(phost_call_ctx* parent, const CallScope& scope, phost_ref& ref, const phost_value* args) {
  InFlight counted(*this, parent, ref.name);
  return dispatch(counted, parent, scope, ref.name, ref.parsed, &ref, args);
}

std::unique_ptr<phost_ref> Host::lookup(std::string_view name) {
  if (closing_.load())
    throw Error(PHOST_E_CANCELLED, "host is being destroyed: '" + std::string(name.substr(0, kMaxNameLength)) +
                                       "' was not looked up",
                503);
  auto ref = std::make_unique<phost_ref>(*this, id_, name);
  registry_.check(*ref);  // 404 now rather than at the first call; and the first call is fast
  return ref;
}

phost_value* Host::dispatch(InFlight& counted, phost_call_ctx* parent, const CallScope& scope,
                            std::string_view name, const ProcessName& parsed, phost_ref* ref,
                            const phost_value* args) {
  const uint32_t depth = parent ? parent->depth + 1 : 1;
  if (depth > max_depth_)
    throw Error(PHOST_E_LIMIT, "call depth limit of " + std::to_string(max_depth_) + " exceeded calling '" +
                                   std::string(name) + "'");
  // Recursion is what eats stacks: a call inside another on this thread,
  // nested through its ctx or made anew (phost_call from a handler, or a
  // plugin's call without its ctx). A thread's first call's stack is the
  // application's.
  if (parent || counted.outer()) {
    if (const size_t left = thread_stack_left(); left < kStackReserve)
      throw Error(PHOST_E_LIMIT, "call depth limit: the thread's stack is nearly used up (" +
                                     std::to_string(left / 1024) + " KiB left at depth " + std::to_string(depth) +
                                     ") calling '" + std::string(name) + "'");
  }
  if (!args) {
    args = empty_array();
  } else if (kind_of(args) != PHOST_ARRAY) {
    throw Error(PHOST_E_INVALID_ARG, "arguments of '" + std::string(name) + "' must be an array");
  }
  // Frozen for good, even when the caller held the only reference: the
  // handler may keep them, and the caller may reuse them for another call.
  freeze(args);
  const ProcessCall held = ref ? registry_.acquire(*ref, counted.stripe()) : registry_.acquire(parsed, counted.stripe());
  Process* process = held.get();
  counted.ran(process);
  // A route is not held: it must live as long as the registry (a worker's
  // link to its host, owned by the registry's fallback).
  if ((process->flags & PHOST_PROCESS_SHARED_STATE) && shared_state_route_)
    if (Process* route = shared_state_route_(shared_state_route_data_, parent, scope)) process = route;
  if (const phost_status stopped = scope_stopped(scope))
    throw Error(stopped, std::string(stopped == PHOST_E_TIMEOUT ? "deadline passed" : "cancelled") +
                             " before '" + std::string(name) + "' started");

  phost_call_ctx ctx;
  ctx.host = this;
  ctx.scope = &scope;
  ctx.parent = parent;
  ctx.depth = depth;
  ctx.name = name;
  if (process->flags & PHOST_PROCESS_GROUP) {
    ctx.id = parsed.id;
    ctx.method = parsed.method;
  }
  phost_value* result = nullptr;
  SerialGate::Turn turn;
  if (process->flags & PHOST_PROCESS_SERIAL) turn = process->serial.enter(scope, name);
  const uint64_t failures_before = calls_failed;
  const phost_status status = process->handler(process->user_data, &ctx, args, &result);
  turn.reset();
  if (status == PHOST_OK) {
    if (!result)
      throw Error(PHOST_E_INTERNAL, "process '" + std::string(name) + "' returned PHOST_OK but no value");
    freeze(result);  // the handler may still hold it (a cache, a shared constant)
    return result;
  }
  release(result);
  if (ctx.has_error) {
    Failure& error = *ctx.error;
    throw Error(known_status(status) ? status : PHOST_E_PROCESS, std::move(error.message), error.code,
                std::move(error.stack));
  }
  // Only the status of the failed nested call forwards it; a handler that
  // recovered from one and then failed otherwise reports its own failure.
  if (ctx.nested_status != PHOST_OK && status == ctx.nested_status)
    throw Error(ctx.nested_status, std::move(ctx.nested->message), ctx.nested->code, std::move(ctx.nested->stack));
  // The same for a call made without the ctx (an application's handler
  // forwarding phost_call's status): the last call that failed on this
  // thread during this handler, with that status.
  if (calls_failed != failures_before && last_status == status && known_status(status)) {
    LastError& forwarded = last_error();
    throw Error(status, forwarded.message, forwarded.code, forwarded.stack);
  }
  if (!known_status(status))
    throw Error(PHOST_E_INTERNAL,
                "process '" + std::string(name) + "' returned unknown status " + std::to_string(status));
  throw Error(status, "process '" + std::string(name) + "' failed with " + status_name(status) +
                          " and gave no message");
}

const phost_plugin* Host::last_loaded() {
  std::lock_guard lock(plugins_mutex_);
  return plugins_.empty() ? nullptr : plugins_.back().get();
}

}  // namespace phost
