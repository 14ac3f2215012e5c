// The worker's side: phost_worker_main, run by the phost-worker program. It
// loads one plugin into a host of its own and serves that host's processes
// over the channels on fds 3 and 4 (server.hpp). Every name the plugin calls
// that its own host does not have is sent back to the parent host (the
// registry's fallback).
#include "../api.hpp"
#include "../error.hpp"
#include "../host.hpp"
#include "../process_name.hpp"
#include "../value.hpp"
#include "channel.hpp"
#include "mailbox.hpp"
#include "messages.hpp"
#include "relay.hpp"
#include "ring_channel.hpp"
#include "seccomp.hpp"
#include "server.hpp"
#include "shared.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace phost::worker {
namespace {

class Server {
public:
  Server()
      : shared_(kSharedFd),
        channel_(shared_, false, spin_ns()),
        control_(kControlFd),
        relay_(channel_, [this](std::string&& frame) { route(std::move(frame)); }, [this] { channel_ended(); }) {}
  int run();

private:
  // A call the parent host sent, while it runs here.
  struct Served {
    uint64_t id = 0;
    std::string session;
    ValuePtr subject, global;
    phost_cancel cancel;
    CallScope scope;
    const phost_call_ctx* parent = nullptr;  // what it runs nested in here (a call back into this worker)
  };

  bool load();
  void serve(std::string frame, phost_call_ctx* parent);
  void follow();
  void route(std::string&& frame);
  void channel_ended();
  void cancel(uint64_t id);
  uint64_t via_of(const phost_call_ctx* ctx);
  static phost_status PHOST_CALL forward(void* self, phost_call_ctx* ctx, const phost_value* args,
                                         phost_value** out) noexcept;
  static void PHOST_CALL forward_log(void* self, int32_t level, phost_str logger, phost_str message);
  static void forward_deadline(void* self, const phost_call_ctx* ctx, int64_t deadline_ns);
  static Process* route_shared_state(void* self, const phost_call_ctx* parent, const CallScope& scope);

  SharedMemory shared_;
  RingChannel channel_;  // calls and replies, read through relay_
  Channel control_;  // load, cancel, shutdown in; logs, deadlines, the plugin's own calls out
  Router router_;    // the calls this worker made to its host
  Relay relay_;
  Mailbox calls_;  // the host's calls not nested in one of this worker's, for the idle threads
  std::unique_ptr<Host> host_;
  // The registry's fallback, which owns it until the host goes: every call it takes goes to the host.
  Process* link_ = nullptr;

  std::mutex served_mutex_;
  std::unordered_map<const CallScope*, const Served*> by_scope_;
  std::unordered_map<uint64_t, Served*> by_id_;
  // Cancellations that came (on the control channel) before their call (on
  // the call channel) was read; a few, the oldest forgotten.
  std::deque<uint64_t> early_cancels_;

  // The threads that wait for the host's calls, reading the call channel in turn, and run them.
  std::mutex pool_mutex_;
  size_t idle_ = 0;  // threads waiting at calls_
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

int Server::run() {
  if (!load()) return 3;
  {
    std::lock_guard lock(pool_mutex_);
    threads_.emplace_back([this] { follow(); });
  }
  std::string frame;
  for (;;) {
    if (!control_.receive(frame)) std::_Exit(0);  // the host is gone: leave without running more of the plugin
    Peek p;
    try {
      p = peek(frame);
    } catch (const Error&) {
      std::_Exit(4);  // a broken host: nothing sensible to serve
    }
    if (p.type == Type::kCancel) cancel(p.id);
    if (p.type == Type::kShutdown) break;
  }
  // The host unloads the plugin: nothing of it runs any more. Calls the
  // plugin's own threads make to the host end with 503.
  {
    std::lock_guard lock(pool_mutex_);
    stopping_ = true;
  }
  router_.close_all();
  calls_.close();
  channel_.shutdown();
  for (size_t i = 0;; ++i) {  // threads_ may still grow while the last ones leave
    std::thread t;
    {
      std::lock_guard lock(pool_mutex_);
      if (i >= threads_.size()) break;
      t = std::move(threads_[i]);
    }
    t.join();
  }
  host_.reset();
  return 0;
}

// An idle thread waits for the host's next call, reading the call channel
// while no other thread does, and runs the call itself, on the spot, without
// handing the reading over first (a call costs the worker one wake-up): the
// call's own frames (nested replies) are read by the thread waiting for
// them, cancellations come on the control channel, and a call that comes
// while every thread is busy starts a thread (route).
void Server::follow() {
  std::string call;
  for (;;) {
    {
      std::lock_guard lock(pool_mutex_);
      if (stopping_) return;
      ++idle_;
    }
    const Mailbox::Wait w = relay_.wait(calls_, call, 0);
    {
      std::lock_guard lock(pool_mutex_);
      --idle_;
    }
    if (w != Mailbox::Wait::kFrame) return;
    serve(std::move(call), nullptr);
  }
}

// A frame read from the call channel, by whichever thread reads it.
void Server::route(std::string&& frame) {
  Peek p;
  try {
    p = peek(frame);
  } catch (const Error&) {
    std::_Exit(4);
  }
  switch (p.type) {
    case Type::kCall:
      if (p.via == 0) {
        calls_.post(std::move(frame));
        std::lock_guard lock(pool_mutex_);
        if (idle_ == 0 && !stopping_) threads_.emplace_back([this] { follow(); });
      } else if (!router_.deliver(p.via, std::move(frame))) {
        channel_.send(encode_error(p.id, PHOST_E_INTERNAL, 500, "worker: the call it was nested in has ended"));
      }
      break;
    case Type::kResult:
    case Type::kError: router_.deliver(p.id, std::move(frame)); break;
    default: break;
  }
}

void Server::channel_ended() {
  std::lock_guard lock(pool_mutex_);
  if (!stopping_) std::_Exit(0);  // the host is gone
}

void Server::cancel(uint64_t id) {
  std::lock_guard lock(served_mutex_);
  if (auto it = by_id_.find(id); it != by_id_.end()) {
    it->second->cancel.cancelled.store(true);
    return;
  }
  early_cancels_.push_back(id);
  if (early_cancels_.size() > 64) early_cancels_.pop_front();
}

bool Server::load() {
  std::string frame;
  if (!control_.receive(frame)) return false;
  Reader r(frame);
  if (r.type() != Type::kLoad) return false;
  const std::string path(r.bytes());
  const ValuePtr config(r.value());
  const auto level = static_cast<int32_t>(r.i64());
  const bool seccomp = r.u64() != 0;

  phost_host_config host_config{};
  host_config.struct_size = sizeof host_config;
  host_config.log = &Server::forward_log;
  host_config.log_data = this;
  host_config.log_level = level;
  try {
    host_ = std::make_unique<Host>(host_config);
    phost_process_desc desc{};
    desc.struct_size = sizeof desc;
    desc.name = phost_str{"host", 4};
    desc.handler = &Server::forward;
    desc.user_data = this;
    std::shared_ptr<Process> link = host_->registry().make_process(desc, &host_->application());
    link_ = link.get();
    host_->registry().set_fallback(std::move(link));
    host_->set_deadline_hook(&Server::forward_deadline, this);
    host_->set_shared_state_route(&Server::route_shared_state, this);
    host_->load_plugin(path, config.get());
    // After the load, which may open files and libraries freely.
    if (seccomp)
      if (const std::string why = enter_seccomp_filter(); !why.empty())
        host_->logger().warn("worker {}: runs without a system call filter: {}", ::getpid(), why);
  } catch (...) {
    std::string failed = encode_current_exception(0);
    failed[4] = static_cast<char>(Type::kLoadFailed);
    control_.send(failed);
    return false;
  }
  Writer ready(Type::kReady);
  const phost_plugin* plugin = host_->last_loaded();
  std::vector<ProcessListing> processes = host_->registry().list();
  host_->registry().seal("a plugin in a worker process registers its processes while it loads; its host "
                         "learns of those only");
  ready.bytes(plugin && plugin->info.name ? plugin->info.name : "");
  ready.bytes(plugin && plugin->info.version ? plugin->info.version : "");
  ready.u64(processes.size());
  for (const ProcessListing& p : processes) {
    ready.bytes(p.name);
    ready.bytes(p.description);
    ready.u64(p.flags);
  }
  return control_.send(ready.finish());
}

void Server::serve(std::string frame, phost_call_ctx* parent) {
  uint64_t id = 0;
  std::string reply;
  try {
    CallFrame call = decode_call(frame);
    id = call.id;
    Served served;
    served.id = id;
    served.session.assign(call.session);
    served.subject = std::move(call.subject);
    served.global = std::move(call.global);
    served.scope.session = served.session;
    served.scope.subject = served.subject.get();
    served.scope.global = served.global.get();
    served.scope.deadline_ns = call.deadline_ns;
    served.scope.cancel = &served.cancel;
    served.parent = parent;
    // The entry where its handler's own deadline goes, if free (forward_deadline).
    SharedPage::Hint& hint = shared_.page().hints[id % SharedPage::kHints];
    uint64_t free_entry = 0;
    const bool hinted_here = hint.id.compare_exchange_strong(free_entry, id);
    struct Release {
      SharedPage::Hint* hint;
      ~Release() {
        if (!hint) return;
        hint->deadline_ns.store(0);  // before the id: the host reads id, deadline, id
        hint->id.store(0);
      }
    } const release{hinted_here ? &hint : nullptr};
    {
      std::lock_guard lock(served_mutex_);
      by_scope_[&served.scope] = &served;
      by_id_[id] = &served;
      if (const auto early = std::find(early_cancels_.begin(), early_cancels_.end(), id); early != early_cancels_.end()) {
        served.cancel.cancelled.store(true);
        early_cancels_.erase(early);
      }
    }
    try {
      // A name the host routed here is one this worker announced; taken by the
      // link instead, it would go back to the host, and back here, until the
      // depth limit (the plugin unregistered it, or registered other names in
      // this worker than in its first).
      char buffer[kMaxNameLength];
      if (host_->registry().resolves_to(parse_process_name(call.name, buffer), link_))
        throw Error(PHOST_E_INTERNAL, "'" + std::string(call.name) + "' is not registered in its worker (pid " +
                                          std::to_string(::getpid()) + ") any more: its plugin unregistered it, " +
                                          "or registered other processes than in its first worker");
      const ValuePtr result(host_->call(parent, served.scope, call.name, call.args.get()));
      reply = encode_result(id, result.get());
    } catch (...) {
      reply = encode_current_exception(id);
    }
    std::lock_guard lock(served_mutex_);
    by_scope_.erase(&served.scope);
    by_id_.erase(id);
  } catch (...) {
    reply = encode_current_exception(id);
  }
  channel_.send(reply);
}

// The host's call a worker-side call belongs to: the nearest served scope up
// its chain. 0 for a call the plugin started on a thread of its own.
uint64_t Server::via_of(const phost_call_ctx* ctx) {
  std::lock_guard lock(served_mutex_);
  for (const phost_call_ctx* c = ctx; c; c = c->parent)
    if (auto it = by_scope_.find(c->scope); it != by_scope_.end()) return it->second->id;
  return 0;
}

phost_status PHOST_CALL Server::forward(void* self, phost_call_ctx* ctx, const phost_value* args,
                                        phost_value** out) noexcept {
  auto& server = *static_cast<Server*>(self);
  try {
    Mailbox box;
    const OpenCall call(server.router_, box);
    const int64_t deadline = earlier(ctx->scope->deadline_ns, ctx->own_deadline_ns.load());
    // Session, subject and global are the host's already: it runs this call
    // nested in the one it sent (via), on the thread that waits for it, which
    // reads the call channel. A call of the plugin's own goes to the host's
    // control reader; its reply comes on the call channel.
    const uint64_t via = server.via_of(ctx);
    const std::string frame_out = encode_call(call.id(), via, deadline, ctx->name, nullptr, args);
    if (!(via ? server.channel_.send(frame_out) : server.control_.send(frame_out)))
      throw Error(PHOST_E_CANCELLED, "worker: the host is gone", 503);
    std::string frame;
    for (;;) {
      if (server.relay_.wait(box, frame, 0) != Mailbox::Wait::kFrame)
        throw Error(PHOST_E_CANCELLED, "worker: the host is unloading the plugin: '" + std::string(ctx->name) +
                                           "' was not called", 503);
      if (frame[0] == static_cast<char>(Type::kCall)) {
        server.serve(std::move(frame), ctx);  // a call back into this worker, on this thread
        continue;
      }
      *out = decode_reply(frame);
      return PHOST_OK;
    }
  } catch (const Error& e) {
    const std::string& m = e.message();
    api_table()->ctx_set_error(ctx, e.code(), phost_str{m.data(), m.size()});
    return e.status();
  } catch (...) {
    api_table()->ctx_set_error(ctx, 500, phost_str{"worker: forwarding failed", 25});
    return PHOST_E_INTERNAL;
  }
}

// A call of a PHOST_PROCESS_SHARED_STATE process runs here only when the
// host sent it; one the plugin makes itself (a script's
// Process("runtime.load", ...)) goes to the host, which records it for the
// other workers and sends it back here.
Process* Server::route_shared_state(void* self, const phost_call_ctx* parent, const CallScope& scope) {
  auto& server = *static_cast<Server*>(self);
  std::lock_guard lock(server.served_mutex_);
  if (const auto it = server.by_scope_.find(&scope); it != server.by_scope_.end() && it->second->parent == parent)
    return nullptr;
  return server.link_;
}

// A handler of a call the host sent set itself a sooner deadline (the V8
// runtime's timeout_ms): the host, which kills a worker that outlives its
// call's deadline, must know. Only the call's own handler counts; a nested
// handler's deadline bounds only its part of the call.
void Server::forward_deadline(void* self, const phost_call_ctx* ctx, int64_t deadline_ns) {
  auto& server = *static_cast<Server*>(self);
  if (ctx->parent && ctx->parent->scope == ctx->scope) return;
  uint64_t id = 0;
  {
    std::lock_guard lock(server.served_mutex_);
    const auto it = server.by_scope_.find(ctx->scope);
    if (it == server.by_scope_.end()) return;
    id = it->second->id;
  }
  // In the call's entry of the shared page, which the host reads when it
  // wakes anyway; a message (which wakes the host's control reader) only
  // when another call holds the entry.
  SharedPage::Hint& hint = server.shared_.page().hints[id % SharedPage::kHints];
  if (hint.id.load() == id) {
    int64_t current = hint.deadline_ns.load();
    while (deadline_ns > 0 && (!current || deadline_ns < current) &&
           !hint.deadline_ns.compare_exchange_weak(current, deadline_ns)) {
    }
    return;
  }
  try {
    Writer w(Type::kDeadline);
    w.u64(id);
    w.i64(deadline_ns);
    server.control_.send(w.finish());
  } catch (...) {  // the host then keeps the call's own deadline
  }
}

void PHOST_CALL Server::forward_log(void* self, int32_t level, phost_str logger, phost_str message) {
  auto& server = *static_cast<Server*>(self);
  try {
    Writer w(Type::kLog);
    w.i64(level);
    w.bytes(std::string_view(logger.ptr, logger.len));
    w.bytes(std::string_view(message.ptr, message.len));
    server.control_.send(w.finish());
  } catch (...) {  // a log line is never worth failing a call
  }
}

}  // namespace

int64_t spin_ns() noexcept {
  static const int64_t spin = [] {
    const char* env = std::getenv("PHOST_WORKER_SPIN_US");
    return std::clamp<int64_t>(env && *env ? std::atoll(env) : 100, 0, 1000) * 1000;
  }();
  return spin;
}

}  // namespace phost::worker

extern "C" PHOST_API int PHOST_CALL phost_worker_main(int argc, [[maybe_unused]] char** argv) {
  // The worker leaves when its channel ends, i.e. when its host closes it or
  // dies (no PR_SET_PDEATHSIG: it fires when the host's *thread* that
  // started the worker ends). A crash leaves no core file (the host reports it).
  if (argc < 2) return 2;  // started by hand, not by a host
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  std::signal(SIGPIPE, SIG_IGN);
  // A program the plugin runs (worker_seccomp: false) gets no channel: it could
  // write to the host, and holding it open would hide the worker's death.
  ::fcntl(phost::worker::kControlFd, F_SETFD, FD_CLOEXEC);
  auto server = std::make_unique<phost::worker::Server>();
  return server->run();
}
