#include "state_journal.hpp"

#include "../api.hpp"
#include "../error.hpp"

#include <algorithm>

namespace phost::worker {
namespace {

constexpr uint32_t kReplayDeathsToDrop = 2;

// The first argument when it is a string, else empty.
std::string_view first_string(const phost_value* args) {
  const phost_api& api = *api_table();
  const phost_value* first = args && api.value_len(args) ? api.value_at(args, 0, nullptr) : nullptr;
  phost_str s{};
  if (!first || api.value_kind(first) != PHOST_STRING || api.value_get_str(first, &s) != PHOST_OK) return {};
  return {s.ptr, s.len};
}

std::string key_of(std::string_view name, const phost_value* args) {
  std::string key(name);
  key += '\0';
  key += first_string(args);
  return key;
}

}  // namespace

void StateJournal::check_room(std::string_view name, size_t bytes) const {
  std::lock_guard lock(mutex_);
  if (bytes_ + bytes > max_bytes_)
    throw Error(PHOST_E_LIMIT,
                "'" + std::string(name) + "' changes state every worker must hold, and the record of such calls is full (" +
                    std::to_string(max_bytes_ >> 20) + " MiB): load the state from the plugin's configuration instead",
                413);
}

StateJournal::Recorded StateJournal::record(std::string_view name, const phost_value* args, size_t bytes) {
  std::string key = key_of(name, args);
  retain(args);
  ValuePtr kept(const_cast<phost_value*>(args));
  std::lock_guard lock(mutex_);
  if (auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
      it != entries_.end()) {
    bytes_ -= it->bytes;
    entries_.erase(it);
  }
  const uint64_t previous = last_.load(std::memory_order_relaxed);
  entries_.push_back(Entry{Record{previous + 1, std::string(name), std::move(kept)}, std::move(key), bytes});
  bytes_ += bytes;
  last_.store(previous + 1, std::memory_order_release);
  return {previous + 1, previous};
}

std::vector<StateJournal::Record> StateJournal::since(uint64_t seq) const {
  std::vector<Record> out;
  std::lock_guard lock(mutex_);
  for (const Entry& e : entries_)
    if (e.record.seq > seq) {
      retain(e.record.args.get());
      out.push_back(Record{e.record.seq, e.record.name, ValuePtr(e.record.args.get())});
    }
  return out;
}

bool StateJournal::replay_killed_worker(uint64_t seq) {
  std::lock_guard lock(mutex_);
  const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.record.seq == seq; });
  if (it == entries_.end()) return true;  // replaced or dropped meanwhile
  if (++it->replay_deaths < kReplayDeathsToDrop) return false;
  bytes_ -= it->bytes;
  entries_.erase(it);
  return true;
}

std::string StateJournal::describe(const Record& record) {
  std::string out = "'" + record.name + "'";
  if (const std::string_view first = first_string(record.args.get()); !first.empty())
    out += " ('" + std::string(first.substr(0, 100)) + (first.size() > 100 ? "...')" : "')");
  return out;
}

}  // namespace phost::worker
