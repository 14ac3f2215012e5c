// phost_ref: a process name parsed once, with the process it resolved to and
// the registry generation of that resolution. A call through it skips the
// parse and, while the generation holds, the registry's lock and hash lookup.
// It does not hold the process: an unregistered process (or an unloaded
// plugin's) is never kept alive by a ref someone forgot to release.
#pragma once

#include "process_name.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace phost {
class Host;
struct Process;
}  // namespace phost

struct phost_ref {
  // Set while the ref is alive: a NULL, released or foreign pointer gives a
  // clear 400 rather than a call into whatever it points at.
  static constexpr uint64_t kLive = 0x70686f7374726566;  // "phostref"

  phost_ref(phost::Host& owner, uint64_t owner_id, std::string_view looked_up)
      : host(&owner), host_id(owner_id), name(looked_up), parsed(phost::parse_process_name(name, lower)) {}
  phost_ref(const phost_ref&) = delete;
  phost_ref& operator=(const phost_ref&) = delete;
  ~phost_ref() { magic = 0; }

  uint64_t magic = kLive;
  phost::Host* host;
  uint64_t host_id;  // host->id(): the address alone may be a later host's
  const std::string name;  // as looked up: what the handler's ctx names
  char lower[phost::kMaxNameLength];
  const phost::ProcessName parsed;  // views into lower and name

  // The last resolution: process is in the registry while the registry's
  // generation equals this one. Read and written under the registry's lock
  // (shared), so every thread that writes them writes the same pair:
  // process first, then generation (release), read in the other order.
  std::atomic<uint64_t> generation{0};  // 0: none (the registry's count starts at 1)
  std::atomic<phost::Process*> process{nullptr};
};
