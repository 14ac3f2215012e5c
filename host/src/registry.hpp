// The process registry: names and groups to handlers, safe for concurrent
// calls and (un)registration. The tables own each Process (shared_ptr); a
// call holds it by a striped count (ProcessCall), so an unregistered process
// finishes its calls before its finalizer runs, and calls on other threads
// write no line in common (issue 14). A call's hold never deletes: a process
// retired with calls running is finalized by the sweep() that ends its last
// call, on that call's thread, as a shared_ptr's last release did.
#pragma once

#include "process_name.hpp"
#include "serial_gate.hpp"
#include "string_hash.hpp"
#include "striped.hpp"

#include <phost/plugin_api.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct phost_ref;

namespace phost {

struct Process {
  Process(const phost_process_desc& desc, const phost_plugin* owner);
  ~Process();  // runs the finalizer
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  std::string name;  // as registered
  std::string key;   // lower-cased name
  std::vector<std::string> aliases;  // lower-cased; guarded by the registry's lock
  std::string description;
  uint32_t flags;
  phost_handler_fn handler;
  void* user_data;
  phost_finalize_fn finalize;
  const phost_plugin* owner;
  SerialGate serial;  // entered around each call when PHOST_PROCESS_SERIAL
  StripedCount calls;  // calls running it
  Process* next_retired = nullptr;  // the registry's list of retired processes
  uint64_t identity = 0;  // never reused in its registry, where an address may be
};

// One call's hold on its process. Its end touches nothing but its stripe:
// the registry may delete a retired process the moment the count is zero.
class ProcessCall {
public:
  // stripe: this thread's (this_threads_stripe()).
  ProcessCall(Process& process, size_t stripe) noexcept : process_(&process), stripe_(stripe) {
    process.calls.add(stripe_);
  }
  ~ProcessCall() { process_->calls.sub(stripe_); }
  ProcessCall(const ProcessCall&) = delete;
  ProcessCall& operator=(const ProcessCall&) = delete;
  Process* get() const noexcept { return process_; }

private:
  Process* process_;
  size_t stripe_;
};

struct ProcessListing {
  std::string name;
  std::string description;
  const phost_plugin* owner;
  bool group;
  uint32_t flags;  // PHOST_PROCESS_*
};

class Registry {
public:
  Registry() = default;
  ~Registry();  // after every call
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // A Process the registry deletes once its last owner lets go and no call
  // runs it: at once, or by the sweep() that ends its last call. Every
  // Process is made here; on failure desc's finalizer has not run.
  std::shared_ptr<Process> make_process(const phost_process_desc& desc, const phost_plugin* owner);
  // Ends a call of process (its identity read while the call held it):
  // deletes (finalizes) it here if it was retired and this was its last
  // call. One atomic load when nothing is retired.
  void sweep(const Process* process, uint64_t identity) noexcept {
    if (retired_any_.load()) sweep_retired(process, identity);
  }

  // Takes ownership of desc->user_data unconditionally (see phost_api).
  void add(const phost_process_desc* desc, const phost_plugin* owner);
  // owner NULL: remove whatever holds the name; otherwise only its own.
  void remove(std::string_view name, const phost_plugin* owner);
  void alias(std::string_view name, std::string_view alias);
  // Whether name is taken by process now (nothing is copied, no count taken).
  bool resolves_to(const ProcessName& name, const Process* process) const;
  // The process a call runs, held for the call; stripe: this thread's.
  // Throws Error(PHOST_E_NOT_FOUND) when nothing takes the name.
  ProcessCall acquire(const ProcessName& name, size_t stripe) const;
  // The same for a ref: its last resolution while nothing changed since,
  // else resolved again and kept.
  ProcessCall acquire(phost_ref& ref, size_t stripe) const;
  // Resolves ref now (and keeps it); throws as acquire().
  void check(phost_ref& ref) const;
  void remove_owned_by(const phost_plugin* owner);
  std::vector<ProcessListing> list() const;
  // Drops every entry; finalizers run as the last uses end.
  void clear();
  // Refuses every later add (PHOST_E_CANCELLED, code 503): the host is being destroyed.
  void close();
  // Refuses every later add with PHOST_E_UNSUPPORTED (501), saying why (a
  // worker's host, once its plugin is loaded: its host would never learn of it).
  void seal(std::string why);
  // Takes every name nothing else takes (a worker process's link to its host).
  void set_fallback(std::shared_ptr<Process> process);

private:
  using Table = StringMap<std::shared_ptr<Process>>;
  // What takes name; under mutex_ (shared).
  const std::shared_ptr<Process>* find(const ProcessName& name) const;
  // ref's process, resolved again when the tables changed; under mutex_ (shared).
  Process* find(phost_ref& ref) const;
  void retire(Process* process) noexcept;  // its last owner let go
  // Deletes process (that one: its identity too, the address may be a later
  // one's) if it is retired and no call runs it; nullptr: every such one.
  void sweep_retired(const Process* process, uint64_t identity = 0) noexcept;
  [[noreturn]] void not_found(const ProcessName& name) const;
  // Every change of what a name resolves to; under mutex_ (unique).
  void changed() noexcept { generation_.fetch_add(1, std::memory_order_release); }

  // Processes whose last owner let go while calls ran them, linked through
  // next_retired (nothing to allocate in noexcept paths). Before the tables:
  // their destruction retires what they hold.
  std::mutex retired_mutex_;
  Process* retired_ = nullptr;
  std::atomic<bool> retired_any_{false};
  std::atomic<uint64_t> next_identity_{1};

  mutable StripedSharedMutex mutex_;
  // Bumped by every change of the tables: a ref resolved at generation g is
  // still right, and its process still in a table, while it reads g.
  std::atomic<uint64_t> generation_{1};
  Table exact_;   // lower-cased full names and aliases
  Table groups_;  // lower-cased group names
  std::shared_ptr<Process> fallback_;
  bool closed_ = false;
  std::string sealed_;  // why adds are refused; empty: they are not
};

}  // namespace phost
