// The calls running in one isolate, innermost last: what the bridge reads to
// know whose session, global and authority a Process() call inherits, and
// which script a console line comes from.
#pragma once

#include <phost/plugin_api.h>

#include <cstdint>
#include <string_view>
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

  bool empty() const noexcept { return frames_.empty(); }
  const CallFrame* top() const noexcept { return frames_.empty() ? nullptr : &frames_.back(); }

private:
  std::vector<CallFrame> frames_;
};

}  // namespace phost::v8rt
