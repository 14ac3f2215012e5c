#include "state_journal.hpp"

#include "../api.hpp"
#include "../error.hpp"

#include <algorithm>

namespace phost::worker {
namespace {

std::string key_of(std::string_view name, const phost_value* args) {
  std::string key(name);
  key += '\0';
  const phost_api& api = *api_table();
  if (const phost_value* first = args && api.value_len(args) ? api.value_at(args, 0, nullptr) : nullptr;
      first && api.value_kind(first) == PHOST_STRING) {
    phost_str s{};
    if (api.value_get_str(first, &s) == PHOST_OK) key.append(s.ptr, s.len);
  }
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

}  // namespace phost::worker
