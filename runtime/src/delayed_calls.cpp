#include "delayed_calls.hpp"

#include <chrono>

namespace phost::v8rt {
namespace {

thread_local bool tls_delayed_thread = false;

// Roughly what a value holds: its strings and bytes, and a node per item.
size_t footprint(View v) {
  switch (v.kind()) {
    case PHOST_STRING:
    case PHOST_BYTES: return 32 + v.as_string().size();
    case PHOST_ARRAY:
    case PHOST_OBJECT: {
      size_t bytes = 32;
      for (size_t i = 0; i < v.size(); ++i) bytes += footprint(v[i]) + v.key_at(i).size();
      return bytes;
    }
    default: return 32;
  }
}

}  // namespace

void DelayedCalls::add(int64_t at_ns, std::string name, Value args) {
  const size_t bytes = footprint(args) + name.size();
  std::lock_guard lock(mutex_);
  if (waiting_.size() >= kMaxWaiting || waiting_bytes_ + bytes > kMaxWaitingBytes)
    throw Error(429,
                "time.After: too much is waiting already (" + std::to_string(waiting_.size()) + " calls, " +
                    std::to_string(waiting_bytes_ >> 10) + " KiB of arguments; the limits are " +
                    std::to_string(kMaxWaiting) + " and " + std::to_string(kMaxWaitingBytes >> 20) + " MiB)",
                PHOST_E_LIMIT);
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  waiting_bytes_ += bytes;
  waiting_.emplace(at_ns, Pending{std::move(name), std::move(args), bytes});
  changed_.notify_one();
}

bool DelayedCalls::on_this_thread() noexcept { return tls_delayed_thread; }

void DelayedCalls::run() {
  tls_delayed_thread = true;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (waiting_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const int64_t at = waiting_.begin()->first;
    if (api().clock_ns() < at) {
      changed_.wait_until(lock, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(at)));
      continue;
    }
    Pending next = std::move(waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
    waiting_bytes_ -= next.bytes;
    lock.unlock();
    phost_value* out = nullptr;
    if (api().call(self_, nullptr, to_str(next.name), next.args.get(), &out) == PHOST_OK) {
      api().value_release(out);
    } else {
      phost_error e{};
      e.struct_size = sizeof e;
      api().last_error(&e);
      const std::string line = "time.After: " + next.name + " failed (" + std::to_string(e.code) + "): " +
                               std::string(to_view(e.message));
      api().log(self_, PHOST_LOG_ERROR, to_str(line));
    }
    lock.lock();
  }
}

DelayedCalls::~DelayedCalls() {
  size_t dropped = 0;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped = waiting_.size();
  }
  changed_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (dropped) {
    const std::string line = "time.After: " + std::to_string(dropped) + " call(s) dropped: the runtime is going away";
    api().log(self_, PHOST_LOG_WARN, to_str(line));
  }
}

}  // namespace phost::v8rt
