// Callbacks a plugin or the application gives the host that cannot report a
// failure: finalizers and on_unload. The C ABI forbids exceptions across
// them, but a C++ plugin can still throw from one, and the host runs them in
// destructors, where an escaping exception ends the process. One thrown is
// stopped here; the caller says so in its log if it has one.
#pragma once

namespace phost {

// Runs fn; false if it threw.
template <class Fn>
bool run_foreign(Fn&& fn) noexcept {
  try {
    fn();
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace phost
