// The calls running in one isolate, innermost last: what the bridge reads to
// know whose session, global and authority a Process() call inherits, and
// which script a console line comes from. Also which script each of V8's
// script ids belongs to, and whether jobs are running: the code running then
// may be another script's than the call's (a job one script queued runs in
// whichever call next runs the microtasks).
#pragma once

#include <phost/plugin_api.h>

#include <v8-isolate.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace phost::v8rt {

struct CallFrame {
  phost_call_ctx* ctx;      // NULL at a top level run outside any call
  std::string_view script;  // the script id; outlives the frame
  int64_t deadline_ns;      // of the guard it runs under (0 = none): nested calls get it too
};

class CallStack {
public:
  // Pushes a frame for the current scope.
  class Scope {
  public:
    Scope(CallStack& stack, CallFrame frame) : stack_(stack) { stack_.frames_.push_back(frame); }
    ~Scope() { stack_.frames_.pop_back(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

  private:
    CallStack& stack_;
  };

  // Marks the microtask checkpoint run in its scope: the jobs it runs may be
  // any script's, queued in an earlier (nested) call or an outer one.
  class Jobs {
  public:
    explicit Jobs(CallStack& stack) : stack_(stack) { ++stack_.jobs_; }
    ~Jobs() { --stack_.jobs_; }
    Jobs(const Jobs&) = delete;
    Jobs& operator=(const Jobs&) = delete;

  private:
    CallStack& stack_;
  };

  // Runs the isolate's microtask checkpoint marked as jobs: every checkpoint
  // that runs scripts' jobs goes through here.
  void run_jobs(v8::Isolate* isolate) {
    Jobs jobs(*this);
    isolate->PerformMicrotaskCheckpoint();
  }

  bool empty() const noexcept { return frames_.empty(); }
  bool running_jobs() const noexcept { return jobs_ > 0; }
  const CallFrame* top() const noexcept { return frames_.empty() ? nullptr : &frames_.back(); }

  // V8's script id of a compiled script (a classic script's or a module's),
  // and the script it is. Cleared with the isolate: V8's ids start again.
  void own(int v8_script_id, std::string_view script) { owners_[v8_script_id] = std::string(script); }
  const std::string* owner(int v8_script_id) const noexcept {
    const auto it = owners_.find(v8_script_id);
    return it == owners_.end() ? nullptr : &it->second;
  }
  void forget_owners() noexcept { owners_.clear(); }

private:
  std::vector<CallFrame> frames_;
  std::unordered_map<int, std::string> owners_;
  int jobs_ = 0;
};

}  // namespace phost::v8rt
