#include "mailbox.hpp"

#include "../call_context.hpp"

#include <chrono>

namespace phost::worker {

Mailbox::Wait Mailbox::wait(std::string& frame, int64_t until_ns) {
  std::unique_lock lock(mutex_);
  const auto ready = [this] { return !inbox_.empty() || closed_ || nudged_; };
  if (!until_ns) {
    cv_.wait(lock, ready);
  } else {
    const std::chrono::steady_clock::time_point until{std::chrono::nanoseconds(until_ns)};
    if (!cv_.wait_until(lock, until, ready)) return Wait::kTimeout;
  }
  if (inbox_.empty()) {
    if (closed_) return Wait::kClosed;
    nudged_ = false;
    return Wait::kNudged;
  }
  frame = std::move(inbox_.front());
  inbox_.pop_front();
  return Wait::kFrame;
}

Mailbox::Wait Mailbox::try_take(std::string& frame) {
  std::lock_guard lock(mutex_);
  if (inbox_.empty()) return closed_ ? Wait::kClosed : Wait::kTimeout;
  frame = std::move(inbox_.front());
  inbox_.pop_front();
  return Wait::kFrame;
}

void Mailbox::post(std::string&& frame) {
  {
    std::lock_guard lock(mutex_);
    inbox_.push_back(std::move(frame));
  }
  cv_.notify_one();
}

void Mailbox::nudge() {
  {
    std::lock_guard lock(mutex_);
    nudged_ = true;
  }
  cv_.notify_one();
}

void Mailbox::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  cv_.notify_all();
}

void Mailbox::hint_deadline(int64_t deadline_ns) noexcept {
  int64_t current = deadline_hint_.load(std::memory_order_relaxed);
  while (deadline_ns > 0 && (!current || deadline_ns < current) &&
         !deadline_hint_.compare_exchange_weak(current, deadline_ns, std::memory_order_relaxed)) {
  }
}

int64_t Mailbox::deadline_hint() const noexcept {
  const int64_t own = deadline_hint_.load(std::memory_order_relaxed);
  if (!shared_hint_ || shared_hint_->id.load() != shared_id_) return own;
  // The worker zeroes the deadline before it frees the entry (then the id):
  // a deadline read between two reads of our id is ours.
  const int64_t shared = shared_hint_->deadline_ns.load();
  if (shared_hint_->id.load() != shared_id_) return own;
  return earlier(own, shared);
}

void Mailbox::share_hint(const SharedPage::Hint* hint, uint64_t id) noexcept {
  shared_hint_ = hint;
  shared_id_ = id;
}

uint64_t Router::open(Mailbox& box) {
  std::lock_guard lock(mutex_);
  const uint64_t id = next_id_++;
  if (hints_) box.share_hint(&hints_[id % SharedPage::kHints], id);
  if (closed_) {
    box.close();
  } else {
    open_.emplace(id, &box);
  }
  return id;
}

void Router::close(uint64_t id) {
  std::lock_guard lock(mutex_);
  open_.erase(id);
}

bool Router::deliver(uint64_t id, std::string&& frame) {
  std::lock_guard lock(mutex_);
  const auto it = open_.find(id);
  if (it == open_.end()) return false;
  it->second->post(std::move(frame));
  return true;
}

void Router::hint_deadline(uint64_t id, int64_t deadline_ns) {
  std::lock_guard lock(mutex_);
  if (const auto it = open_.find(id); it != open_.end()) it->second->hint_deadline(deadline_ns);
}

void Router::close_all() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  for (auto& [id, box] : open_) box->close();
}

}  // namespace phost::worker
