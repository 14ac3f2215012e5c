#include "registry.hpp"

#include "error.hpp"
#include "foreign_call.hpp"
#include "plugin.hpp"
#include "process_ref.hpp"
#include "utf8.hpp"

#include <algorithm>
#include <cstring>
#include <shared_mutex>

namespace phost {
namespace {

constexpr size_t kDescV1Size = offsetof(phost_process_desc, finalize) + sizeof(phost_finalize_fn);

// Reads a desc of any size a peer may send: a shorter one must still hold
// every v1.0 member; a longer one (newer minor) must be zero past ours.
phost_process_desc read_desc(const phost_process_desc* in) {
  if (!in) throw Error(PHOST_E_INVALID_ARG, "register_process: desc is NULL");
  if (in->struct_size < kDescV1Size)
    throw Error(PHOST_E_INVALID_ARG, "register_process: desc->struct_size " +
                                         std::to_string(in->struct_size) + " is smaller than ABI v1.0's");
  phost_process_desc desc{};
  std::memcpy(&desc, in, std::min<size_t>(in->struct_size, sizeof desc));
  const auto* tail = reinterpret_cast<const unsigned char*>(in);
  for (size_t i = sizeof desc; i < in->struct_size; ++i)
    if (tail[i] != 0) {
      if (desc.finalize) run_foreign([&] { desc.finalize(desc.user_data); });  // refused, but ownership still passed
      throw Error(PHOST_E_UNSUPPORTED,
                  "register_process: desc uses members this host does not know (newer ABI minor)");
    }
  return desc;
}

}  // namespace

Process::Process(const phost_process_desc& desc, const phost_plugin* owner_plugin)
    : flags(desc.flags),
      handler(desc.handler),
      user_data(desc.user_data),
      finalize(desc.finalize),
      owner(owner_plugin) {}

Process::~Process() {
  if (finalize) run_foreign([this] { finalize(user_data); });
}

Registry::~Registry() {
  clear();
  fallback_.reset();
  sweep_retired(nullptr);  // every call has ended: nothing stays
}

std::shared_ptr<Process> Registry::make_process(const phost_process_desc& desc, const phost_plugin* owner) {
  auto made = std::make_unique<Process>(desc, owner);
  // Without its finalizer until owned: if the shared_ptr cannot be made, it
  // deletes the process (through retire) and the caller runs desc's finalizer.
  made->finalize = nullptr;
  made->identity = next_identity_.fetch_add(1, std::memory_order_relaxed);
  std::shared_ptr<Process> process(made.release(), [this](Process* p) { retire(p); });
  process->finalize = desc.finalize;
  return process;
}

void Registry::retire(Process* process) noexcept {
  const uint64_t identity = process->identity;  // once linked, a call's sweep may delete it
  {
    std::lock_guard lock(retired_mutex_);
    process->next_retired = retired_;
    retired_ = process;
    retired_any_.store(true);
  }
  // Sequentially consistent with a call's end (its count, then sweep()'s
  // load): this sees the call gone, or the call's sweep sees this.
  sweep_retired(process, identity);
}

void Registry::sweep_retired(const Process* process, uint64_t identity) noexcept {
  Process* idle = nullptr;  // unlinked here, deleted outside the lock
  {
    std::lock_guard lock(retired_mutex_);
    for (Process** link = &retired_; *link;) {
      Process* p = *link;
      if ((process && (p != process || p->identity != identity)) || p->calls.sum() != 0) {
        link = &p->next_retired;
        continue;
      }
      *link = p->next_retired;
      p->next_retired = idle;
      idle = p;
    }
    retired_any_.store(retired_ != nullptr);
  }
  while (idle) {  // the finalizers: they may call in again
    std::unique_ptr<Process> done(idle);
    idle = idle->next_retired;
  }
}

void Registry::add(const phost_process_desc* in, const phost_plugin* owner) {
  const phost_process_desc desc = read_desc(in);
  // From here on the finalizer runs exactly once, whatever happens.
  std::shared_ptr<Process> process;
  try {
    process = make_process(desc, owner);
  } catch (...) {
    if (desc.finalize) run_foreign([&] { desc.finalize(desc.user_data); });
    throw;
  }
  if (!desc.handler) throw Error(PHOST_E_INVALID_ARG, "register_process: handler is NULL");
  if (desc.flags & ~uint32_t(PHOST_PROCESS_GROUP | PHOST_PROCESS_SERIAL | PHOST_PROCESS_SHARED_STATE))
    throw Error(PHOST_E_UNSUPPORTED, "register_process: unknown flags");
  const std::string_view name(desc.name.ptr ? desc.name.ptr : "", desc.name.ptr ? desc.name.len : 0);
  char buffer[kMaxNameLength];
  const ProcessName parsed = parse_process_name(name, buffer);
  const bool group = desc.flags & PHOST_PROCESS_GROUP;
  if (group && parsed.segments != 1)
    throw Error(PHOST_E_INVALID_ARG, "group name '" + std::string(name) + "' must be a single segment");
  process->name.assign(name);
  process->key.assign(parsed.lower);
  if (desc.description.ptr)
    process->description = replace_invalid_utf8(std::string_view(desc.description.ptr, desc.description.len));

  std::unique_lock lock(mutex_);
  if (closed_)
    throw Error(PHOST_E_CANCELLED, "host is being destroyed: '" + std::string(name) + "' was not registered", 503);
  if (!sealed_.empty())
    throw Error(PHOST_E_UNSUPPORTED, "'" + std::string(name) + "' was not registered: " + sealed_, 501);
  Table& table = group ? groups_ : exact_;
  auto [it, inserted] = table.try_emplace(std::string(parsed.lower), process);
  if (!inserted)
    throw Error(PHOST_E_EXISTS, std::string(group ? "group '" : "process '") + std::string(name) +
                                    "' is already registered by " + plugin_label(it->second->owner));
  changed();  // a new exact name may shadow a group, a new group the fallback
}

void Registry::remove(std::string_view name, const phost_plugin* owner) {
  char buffer[kMaxNameLength];
  const ProcessName parsed = parse_process_name(name, buffer);
  std::shared_ptr<Process> doomed;  // finalizer runs outside the lock
  std::unique_lock lock(mutex_);
  for (Table* table : {&exact_, &groups_}) {
    auto it = table->find(parsed.lower);
    if (it == table->end()) continue;
    if (owner && it->second->owner != owner)
      throw Error(PHOST_E_INVALID_ARG, "process '" + std::string(name) + "' belongs to another plugin");
    doomed = std::move(it->second);
    table->erase(it);
    changed();
    // Removing a process (not one of its aliases) takes its aliases along;
    // otherwise it stays callable and its finalizer waits for host destroy.
    if (table == &exact_ && doomed->key == parsed.lower) {
      for (const std::string& alias : doomed->aliases) exact_.erase(alias);
    } else if (table == &exact_) {
      std::erase(doomed->aliases, std::string(parsed.lower));
    }
    return;
  }
  throw Error(PHOST_E_NOT_FOUND, "no process named '" + std::string(name) + "'");
}

void Registry::alias(std::string_view name, std::string_view alias_name) {
  char buffer[kMaxNameLength], alias_buffer[kMaxNameLength];
  const ProcessName target = parse_process_name(name, buffer);
  const ProcessName alias = parse_process_name(alias_name, alias_buffer);
  std::unique_lock lock(mutex_);
  auto it = exact_.find(target.lower);
  if (it == exact_.end()) throw Error(PHOST_E_NOT_FOUND, "no process named '" + std::string(name) + "' to alias");
  std::shared_ptr<Process> process = it->second;
  if (!exact_.try_emplace(std::string(alias.lower), process).second)
    throw Error(PHOST_E_EXISTS, "process '" + std::string(alias_name) + "' is already registered");
  process->aliases.emplace_back(alias.lower);
  changed();
}

const std::shared_ptr<Process>* Registry::find(const ProcessName& name) const {
  if (auto it = exact_.find(name.lower); it != exact_.end()) return &it->second;
  if (name.segments >= 3)
    if (auto it = groups_.find(name.group); it != groups_.end()) return &it->second;
  return fallback_ ? &fallback_ : nullptr;
}

ProcessCall Registry::acquire(const ProcessName& name, size_t stripe) const {
  {
    StripedSharedMutex::Reader lock(mutex_, stripe);
    if (const std::shared_ptr<Process>* found = find(name)) return ProcessCall(**found, stripe);
  }
  not_found(name);
}

Process* Registry::find(phost_ref& ref) const {
  const uint64_t now = generation_.load(std::memory_order_relaxed);  // changed only under the unique lock
  if (ref.generation.load(std::memory_order_acquire) == now)
    if (Process* known = ref.process.load(std::memory_order_relaxed)) return known;
  const std::shared_ptr<Process>* found = find(ref.parsed);
  Process* process = found ? found->get() : nullptr;
  ref.process.store(process, std::memory_order_relaxed);
  ref.generation.store(now, std::memory_order_release);
  return process;
}

ProcessCall Registry::acquire(phost_ref& ref, size_t stripe) const {
  {
    StripedSharedMutex::Reader lock(mutex_, stripe);
    if (Process* process = find(ref)) return ProcessCall(*process, stripe);
  }
  not_found(ref.parsed);
}

void Registry::check(phost_ref& ref) const {
  {
    std::shared_lock lock(mutex_);
    if (find(ref)) return;
  }
  not_found(ref.parsed);
}

bool Registry::resolves_to(const ProcessName& name, const Process* process) const {
  std::shared_lock lock(mutex_);
  const std::shared_ptr<Process>* found = find(name);
  return found && found->get() == process;
}

void Registry::not_found(const ProcessName& name) const {
  std::string message = "no process named '" + std::string(name.lower) + "'";
  if (name.segments < 3) {
    std::shared_lock lock(mutex_);
    if (groups_.count(name.group))
      message += " (group '" + std::string(name.group) + "' takes names like " + std::string(name.group) +
                 ".<id>.<Method>)";
  }
  throw Error(PHOST_E_NOT_FOUND, message);
}

void Registry::remove_owned_by(const phost_plugin* owner) {
  std::vector<std::shared_ptr<Process>> doomed;
  std::unique_lock lock(mutex_);
  for (Table* table : {&exact_, &groups_}) {
    for (auto it = table->begin(); it != table->end();) {
      if (it->second->owner == owner) {
        doomed.push_back(std::move(it->second));
        it = table->erase(it);
        changed();
      } else {
        ++it;
      }
    }
  }
  lock.unlock();
}

std::vector<ProcessListing> Registry::list() const {
  std::vector<ProcessListing> out;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [key, p] : exact_)
      out.push_back({key == p->key ? p->name : key, p->description, p->owner, false, p->flags});
    for (const auto& [key, p] : groups_) out.push_back({p->name, p->description, p->owner, true, p->flags});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

void Registry::clear() {
  Table exact, groups;
  {
    std::unique_lock lock(mutex_);
    exact.swap(exact_);
    groups.swap(groups_);
    changed();
  }
}

void Registry::close() {
  std::unique_lock lock(mutex_);
  closed_ = true;
}

void Registry::seal(std::string why) {
  std::unique_lock lock(mutex_);
  sealed_ = std::move(why);
}

void Registry::set_fallback(std::shared_ptr<Process> process) {
  std::unique_lock lock(mutex_);
  fallback_.swap(process);  // the one replaced retires outside the lock
  changed();
}

}  // namespace phost
