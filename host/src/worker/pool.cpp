#include "pool.hpp"

#include "../api.hpp"
#include "../error.hpp"
#include "../host.hpp"
#include "../log.hpp"
#include "messages.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace phost::worker {
namespace {

constexpr int64_t kMs = 1'000'000;
// How often a caller waiting for a worker looks at its cancellation flag (a
// flag cannot wake anyone), and how often the memory ceiling is checked.
constexpr int64_t kPollNs = 10 * kMs;
// How late a deadline the worker's handler set itself (Mailbox::deadline_hint)
// may be noticed: it costs no wake-up per call, only this poll of long calls.
constexpr int64_t kHintPollNs = 50 * kMs;
constexpr auto kMemoryPoll = std::chrono::milliseconds(50);
// A worker that dies this many times in a row (no call answered in between)
// is restarted only after a delay that doubles each time, up to kMaxBackoff.
constexpr uint32_t kBackoffAfter = 3;
constexpr int64_t kFirstBackoffNs = 100 * kMs;
constexpr int64_t kMaxBackoffNs = 10'000 * kMs;
// What the calls of PHOST_PROCESS_SHARED_STATE processes may hold (their
// encoded arguments), so that a replaced worker gets them back.
constexpr size_t kJournalBytes = size_t(64) << 20;

int64_t deadline_of(const phost_call_ctx* ctx) noexcept {
  return earlier(ctx->scope->deadline_ns, ctx->own_deadline_ns.load(std::memory_order_relaxed));
}

// Until its worker tells the plugin's name: libphost_v8.so -> "v8", libfoo.so -> "foo".
std::string name_from_file(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  for (std::string_view prefix : {"libphost_", "lib"})
    if (stem.size() > prefix.size() && stem.starts_with(prefix)) return stem.substr(prefix.size());
  return stem;
}

}  // namespace

Pool::Pool(Host& host, std::string plugin_path, const phost_value* config, Isolation isolation)
    : host_(host),
      plugin_path_(std::move(plugin_path)),
      isolation_(std::move(isolation)),
      label_("plugin " + plugin_path_),
      journal_(kJournalBytes),
      logger_(host.make_plugin_logger(name_from_file(plugin_path_))) {
  if (config) {
    retain(config);
    const_cast<ValuePtr&>(config_).reset(const_cast<phost_value*>(config));
  }
}

Pool::~Pool() {
  std::vector<Spawner> spawners;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    spawners.swap(spawners_);
  }
  abandon_spawns_ = true;  // a load in progress ends within kAbandonPollMs
  cv_.notify_all();
  for (Spawner& s : spawners) s.thread.join();
  if (memory_watch_.joinable()) memory_watch_.join();
  std::vector<std::shared_ptr<Child>> children;
  {
    std::lock_guard lock(mutex_);
    children.swap(children_);
  }
  // Each worker is asked to stop at once; then each is waited for.
  for (auto& child : children) child->request_stop();
  children.clear();
}

void PHOST_CALL Pool::unload(void* pool) { delete static_cast<Pool*>(pool); }

const Ready& Pool::start() {
  std::shared_ptr<Child> first = spawn();
  ready_ = first->ready();
  label_ = "plugin '" + ready_.plugin_name + "' (" + plugin_path_ + ", in worker processes)";
  first->set_label(label_);
  {
    std::lock_guard lock(mutex_);
    children_.push_back(std::move(first));
  }
  if (isolation_.rss_limit_mb) memory_watch_ = std::thread([this] { watch_memory(); });
  return ready_;
}

void Pool::set_logger(std::shared_ptr<spdlog::logger> logger) {
  std::lock_guard lock(log_mutex_);
  logger_ = std::move(logger);
}

void Pool::log(int32_t level, std::string_view message) {
  std::shared_ptr<spdlog::logger> logger;
  {
    std::lock_guard lock(log_mutex_);
    logger = logger_;
  }
  try {
    logger->log(to_spdlog_level(level), "{}", message);
  } catch (...) {  // a log line is never worth failing anything
  }
}

std::shared_ptr<Child> Pool::spawn() {
  Child::Setup setup;
  setup.program = worker_program();
  std::error_code ec;
  setup.directory = isolation_.directory.empty() ? std::filesystem::current_path(ec).string() : isolation_.directory;
  setup.plugin_path = plugin_path_;
  setup.config = config_.get();
  setup.log_level = static_cast<int32_t>(host_.logger().level());
  setup.seccomp = isolation_.seccomp;
  setup.label = label_;
  setup.abandon = &abandon_spawns_;
  Child::Events events;
  events.top_level_call = [this](Child& child, std::string frame) { serve_top_level(child, std::move(frame)); };
  events.log = [this](int32_t level, std::string_view message) { log(level, message); };
  events.died = [this](Child& child) { died(child); };
  auto child = std::make_shared<Child>(setup, std::move(events));
  log(PHOST_LOG_DEBUG, "worker " + std::to_string(child->pid()) + " started");
  return child;
}

// A new worker loads the plugin on a thread of its own: the call that wanted
// it waits within its own deadline and cancellation, however long the load
// takes (a plugin whose load hangs held that call for kLoadTimeoutMs).
// Called with mutex_ held.
void Pool::spawn_in_background() {
  std::erase_if(spawners_, [](Spawner& s) {
    if (!s.done->load()) return false;
    s.thread.join();
    return true;
  });
  spawners_.reserve(spawners_.size() + 1);  // nothing below throws once the thread runs
  auto done = std::make_shared<std::atomic<bool>>(false);
  spawners_.push_back({std::thread([this, done] {
                         load_new_worker();
                         done->store(true);
                       }),
                       done});
  ++spawning_;  // the thread counts down under mutex_, which the caller holds
}

// A spawner's work: the new worker joins the pool, or its failure is
// recorded for the calls that wait for it.
void Pool::load_new_worker() noexcept {
  std::shared_ptr<Child> child;
  std::string failure;
  try {
    child = spawn();
  } catch (const Error& e) {
    failure = e.message();
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "an unknown error";
  }
  std::shared_ptr<Child> unwanted;
  {
    std::lock_guard lock(mutex_);
    --spawning_;
    if (!child) {
      if (!stopping_) {
        deaths_in_a_row_.fetch_add(1);
        last_death_ns_ = clock_ns();
        last_death_ = failure;
      }
      last_spawn_failure_ = failure;
      ++spawn_failures_;
    } else if (stopping_) {
      unwanted = std::move(child);
    } else {
      children_.push_back(std::move(child));
    }
  }
  cv_.notify_all();
  if (unwanted) unwanted->request_stop();
}

void Pool::died(Child& child) {
  if (child.stop_requested()) {
    log(PHOST_LOG_DEBUG, "worker " + std::to_string(child.pid()) + " stopped");
    return;
  }
  const Error why = child.death_error("");
  log(PHOST_LOG_WARN, why.message());
  {
    std::lock_guard lock(mutex_);
    // Killed by the host for a call's deadline or cancellation, or stopped:
    // the call's doing, not a worker dying in a loop.
    if (!stopping_ && (why.status() == PHOST_E_PROCESS || why.status() == PHOST_E_NO_MEMORY)) {
      deaths_in_a_row_.fetch_add(1);
      last_death_ns_ = clock_ns();
      last_death_ = why.message();
    }
  }
  cv_.notify_all();
}

std::shared_ptr<Child> Pool::lease(const phost_call_ctx* ctx) {
  const int64_t deadline = deadline_of(ctx);
  // Dead workers are destroyed after the lock is released: their reader
  // threads, which ~Child joins, take it to report the death.
  std::vector<std::shared_ptr<Child>> dead;
  std::unique_lock lock(mutex_);
  const uint64_t failures_seen = spawn_failures_;
  bool started = false;  // a call starts one load at most
  for (;;) {
    if (stopping_) throw Error(PHOST_E_CANCELLED, label_ + " is being unloaded", 503);
    for (auto it = children_.begin(); it != children_.end();) {
      if ((*it)->dead() && !(*it)->busy) {
        dead.push_back(std::move(*it));
        it = children_.erase(it);
      } else {
        ++it;
      }
    }
    for (const std::shared_ptr<Child>& c : children_)
      if (!c->busy && !c->dead()) {
        c->busy = true;
        return c;
      }
    // A worker started while this call waited could not load the plugin.
    if (spawn_failures_ != failures_seen)
      throw Error(PHOST_E_PROCESS, label_ + ": a new worker could not start: " + last_spawn_failure_, 503);
    if (!started && children_.size() + spawning_ < isolation_.workers) {
      if (const uint32_t deaths = deaths_in_a_row_.load(); deaths >= kBackoffAfter) {
        const int64_t delay = std::min(kFirstBackoffNs << std::min<uint32_t>(deaths - kBackoffAfter, 20), kMaxBackoffNs);
        if (const int64_t left = last_death_ns_ + delay - clock_ns(); left > 0)
          throw Error(PHOST_E_PROCESS, label_ + ": its worker died " + std::to_string(deaths) +
                                           " times in a row, so it is restarted only in " +
                                           std::to_string(left / kMs + 1) + " ms (backoff); last: " + last_death_,
                      503);
      }
      spawn_in_background();
      started = true;
    }
    // Every worker serves a call chain: wait for one (or one starting) within
    // the call's limits.
    // Polled: a cancellation and the host's destruction (which waits for
    // this call) wake no one here.
    const int64_t until = earlier(deadline, clock_ns() + kPollNs);
    cv_.wait_until(lock, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(until)));
    if (ctx->host->closing())
      throw Error(PHOST_E_CANCELLED,
                  "the host is being destroyed while '" + std::string(ctx->name) + "' waited for a free worker of " +
                      label_,
                  503);
    const phost_status stopped = scope_stopped(*ctx->scope);
    if (stopped || (deadline && clock_ns() >= deadline))
      throw Error(stopped ? stopped : PHOST_E_TIMEOUT,
                  std::string(stopped == PHOST_E_CANCELLED ? "cancelled" : "deadline passed") + " while '" +
                      std::string(ctx->name) + "' waited for a free worker of " + label_ +
                      (spawning_ ? " (a new one is loading the plugin)" : ""));
  }
}

Pool::Proxy* Pool::proxy(const Ready::Entry& entry) {
  const bool group = entry.flags & PHOST_PROCESS_GROUP;
  proxies_.push_back(std::make_unique<Proxy>(
      Proxy{this, group ? std::string() : entry.name, (entry.flags & PHOST_PROCESS_SHARED_STATE) != 0}));
  return proxies_.back().get();
}

phost_status PHOST_CALL Pool::handle(void* user_data, phost_call_ctx* ctx, const phost_value* args,
                                     phost_value** out) noexcept {
  const auto& proxy = *static_cast<const Proxy*>(user_data);
  auto& pool = *proxy.pool;
  try {
    std::shared_ptr<Child> child;
    uint64_t via = 0;
    {
      // A call nested in a chain that is inside one of this pool's workers
      // goes back to that worker, to the thread that waits for it there.
      std::lock_guard lock(pool.mutex_);
      for (const phost_call_ctx* c = ctx->parent; c && !child; c = c->parent)
        if (auto it = pool.active_.find(c); it != pool.active_.end()) {
          child = it->second.child;
          via = it->second.via;
        }
    }
    if (child && !via) throw Error(PHOST_E_INTERNAL, "re-entrant call into " + pool.label_ + " without a caller");
    if (child) {
      *out = pool.serve_on(child, ctx, proxy, via, args, false);
      return PHOST_OK;
    }
    // A worker that died since its last call is noticed when it dies without
    // reading the call: the call never ran, so it goes to another worker, once.
    try {
      *out = pool.serve_on(pool.lease(ctx), ctx, proxy, 0, args, true);
    } catch (const Undelivered&) {
      *out = pool.serve_on(pool.lease(ctx), ctx, proxy, 0, args, true);
    }
    return PHOST_OK;
  } catch (const Error& e) {
    const std::string& m = e.message();
    api_table()->ctx_set_error(ctx, e.code(), phost_str{m.data(), m.size()});
    return e.status();
  } catch (const std::bad_alloc&) {
    api_table()->ctx_set_error(ctx, 507, phost_str{"out of memory", 13});
    return PHOST_E_NO_MEMORY;
  } catch (...) {
    api_table()->ctx_set_error(ctx, 500, phost_str{"worker call failed", 18});
    return PHOST_E_INTERNAL;
  }
}

phost_value* Pool::serve_on(std::shared_ptr<Child> child, phost_call_ctx* ctx, const Proxy& proxy, uint64_t via,
                           const phost_value* args, bool leased) {
  struct Done {
    Pool& pool;
    const phost_call_ctx* ctx;
    Child& child;
    bool leased;
    ~Done() {
      {
        std::lock_guard lock(pool.mutex_);
        pool.active_.erase(ctx);
        if (leased) child.busy = false;
      }
      if (leased) pool.cv_.notify_one();
    }
  };
  {
    std::lock_guard lock(mutex_);
    active_[ctx] = Active{child, 0};
  }
  const Done done{*this, ctx, *child, leased};
  if (leased) catch_up(*child, ctx);
  const std::string_view name = proxy.name.empty() ? ctx->name : std::string_view(proxy.name);
  if (!proxy.shared_state) return call_on(*child, ctx, name, via, args);
  const size_t bytes = encode_call(0, 0, 0, name, nullptr, args).size();
  journal_.check_room(name, bytes);
  ValuePtr result(call_on(*child, ctx, name, via, args));
  recorded(*child, name, args, bytes);
  return result.release();
}

phost_value* Pool::call_on(Child& child, phost_call_ctx* ctx, std::string_view name, uint64_t via,
                           const phost_value* args) {
  Mailbox box;
  const OpenCall call(child.router(), box);
  int64_t deadline = deadline_of(ctx);
  const phost_cancel* cancel = ctx->scope->cancel;
  uint64_t sent_to = 0;
  if (!child.channel().send(encode_call(call.id(), via, deadline, name, ctx->scope, args), &sent_to)) {
    child.await_death();  // its reaping, which tells why
    throw Undelivered(child.death_error(ctx->name));
  }
  phost_status stopping = PHOST_OK;  // why the worker was asked to stop the call
  int64_t kill_at = 0;
  bool killed = false;
  std::string frame;
  for (;;) {
    int64_t until = 0;
    if (stopping == PHOST_OK) {
      deadline = earlier(deadline, box.deadline_hint());
      until = earlier(deadline, clock_ns() + (cancel ? kPollNs : kHintPollNs));
    } else if (!killed) {
      until = kill_at;
    }
    switch (child.relay().wait(box, frame, until)) {
      case Mailbox::Wait::kFrame:
        if (frame[0] == static_cast<char>(Type::kCall)) {
          serve_nested(child, ctx, std::move(frame));
          continue;
        }
        deaths_in_a_row_.store(0);  // it answers: not dying in a loop
        return decode_reply(frame);
      case Mailbox::Wait::kClosed:
        child.await_death();
        // Dead before it read the call (its ring says), and not because this
        // call was stopped: the call never ran.
        if (stopping == PHOST_OK && !child.channel().delivered(sent_to))
          throw Undelivered(child.death_error(ctx->name));
        throw child.death_error(ctx->name);
      case Mailbox::Wait::kNudged: continue;  // not from a relay
      case Mailbox::Wait::kTimeout:
        if (stopping == PHOST_OK) {
          deadline = earlier(deadline, box.deadline_hint());
          stopping = scope_stopped(*ctx->scope);
          if (stopping == PHOST_OK && deadline && clock_ns() >= deadline) stopping = PHOST_E_TIMEOUT;
          // The host waits for this call before it unloads anything: stopped as if cancelled.
          if (stopping == PHOST_OK && ctx->host->closing()) stopping = PHOST_E_CANCELLED;
          if (stopping == PHOST_OK) continue;
          // The worker's handler sees its ctx cancelled (its deadline it knows already).
          child.control().send(encode_id(Type::kCancel, call.id()));
          kill_at = clock_ns() + isolation_.grace_ms * kMs;
        } else {
          const std::string grace = "within " + std::to_string(isolation_.grace_ms) + " ms";
          if (stopping == PHOST_E_TIMEOUT)
            child.kill(KillReason::kDeadline, grace + " after its deadline");
          else
            child.kill(KillReason::kCancelled, grace + " of its cancellation");
          killed = true;  // the reaping closes the mailbox
        }
        continue;
    }
  }
}

void Pool::catch_up(Child& child, phost_call_ctx* ctx) {
  uint64_t seq;
  {
    std::lock_guard lock(mutex_);
    seq = child.state_seq;
  }
  if (seq == journal_.last()) return;
  for (const StateJournal::Record& r : journal_.since(seq)) {
    try {
      const ValuePtr ignored(call_on(child, ctx, r.name, 0, r.args.get()));
    } catch (const Error& e) {
      // The worker gone, or the call's own limits: the call fails, naming the
      // record (which is dropped once it has killed two workers). Anything
      // else is the plugin's answer to a call it accepted before, which no
      // one is waiting for: logged.
      const std::string what = StateJournal::describe(r);
      if (child.dead()) {
        std::string message = "running " + what + " again, which every worker must hold, before '" +
                              std::string(ctx->name) + "': " + e.message();
        if (journal_.replay_killed_worker(r.seq)) {
          message += "; " + what + " killed a worker each time it was run again, so it is dropped: workers " +
                     "started from now on do not hold it";
          log(PHOST_LOG_ERROR, message);
        }
        throw Error(e.status(), message, e.code());
      }
      if (e.status() == PHOST_E_TIMEOUT || e.status() == PHOST_E_CANCELLED) throw;
      log(PHOST_LOG_ERROR, "worker " + std::to_string(child.pid()) + " could not replay " + what +
                               ", which every worker must hold: " + e.message());
    }
    std::lock_guard lock(mutex_);
    child.state_seq = r.seq;
  }
}

void Pool::recorded(Child& child, std::string_view name, const phost_value* args, size_t bytes) {
  const StateJournal::Recorded r = journal_.record(name, args, bytes);
  std::lock_guard lock(mutex_);
  // Had other workers recorded calls since this one caught up, it runs them
  // (and this one again, after them) at its next call, in the journal's order.
  if (child.state_seq == r.previous) child.state_seq = r.seq;
}

void Pool::serve_nested(Child& child, phost_call_ctx* ctx, std::string frame) {
  uint64_t id = 0;
  std::string reply;
  try {
    CallFrame call = decode_call(frame);
    id = call.id;
    CallScope scope = *ctx->scope;
    scope.deadline_ns = earlier(deadline_of(ctx), call.deadline_ns);
    uint64_t outer_via = 0;
    {
      std::lock_guard lock(mutex_);
      Active& active = active_.at(ctx);
      outer_via = std::exchange(active.via, id);
    }
    struct Restore {
      Pool& pool;
      const phost_call_ctx* ctx;
      uint64_t via;
      ~Restore() {
        std::lock_guard lock(pool.mutex_);
        pool.active_.at(ctx).via = via;
      }
    } const restore{*this, ctx, outer_via};
    const ValuePtr result(host_.call(ctx, scope, call.name, call.args.get()));
    reply = encode_result(id, result.get());
  } catch (...) {
    reply = encode_current_exception(id);
  }
  child.channel().send(reply);
}

void Pool::serve_top_level(Child& child, std::string frame) {
  static const CallScope kNoScope;
  uint64_t id = 0;
  std::string reply;
  try {
    const CallFrame call = decode_call(frame);
    id = call.id;
    const ValuePtr result(host_.call(nullptr, kNoScope, call.name, call.args.get()));
    reply = encode_result(id, result.get());
  } catch (...) {
    reply = encode_current_exception(id);
  }
  child.channel().send(reply);
}

void Pool::watch_memory() {
  const uint64_t limit = isolation_.rss_limit_mb * 1024 * 1024;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    cv_.wait_for(lock, kMemoryPoll);
    std::vector<std::shared_ptr<Child>> children = children_;
    lock.unlock();
    for (const std::shared_ptr<Child>& c : children) {
      if (c->dead()) continue;
      if (const uint64_t rss = c->rss_bytes(); rss > limit)
        c->kill(KillReason::kMemory, "RSS " + std::to_string(rss >> 20) + " MB over the limit of " +
                                         std::to_string(isolation_.rss_limit_mb) + " MB");
    }
    children.clear();  // the last reference to a dead worker may go here: not under the lock
    lock.lock();
  }
}

}  // namespace phost::worker
