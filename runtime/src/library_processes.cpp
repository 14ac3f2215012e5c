#include "library_processes.hpp"

#include <cmath>

namespace phost::v8rt {
namespace {

constexpr double kMaxDelayMs = 7 * 24 * 3600 * 1000.0;  // a week: longer is a mistake

// The ms argument of time.Sleep and time.After.
int64_t delay_ms(const Call& call, std::string_view where) {
  const View arg = call.args()[0];
  const double ms = arg.kind() == PHOST_INT || arg.kind() == PHOST_DOUBLE ? arg.as_double() : -1;
  if (!std::isfinite(ms) || ms < 0 || ms > kMaxDelayMs)
    throw Error(400, std::string(where) + ": ms must be a number of milliseconds from 0 to " +
                         std::to_string(static_cast<int64_t>(kMaxDelayMs)),
                PHOST_E_INVALID_ARG);
  return static_cast<int64_t>(ms);
}

// Registers name unless it is taken: the application's own then serves scripts.
void add_unless_taken(const Plugin& plugin, std::string_view name, std::string_view description, Handler handler) {
  try {
    plugin.add(name, description, std::move(handler));
  } catch (const Error& e) {
    if (e.status() != PHOST_E_EXISTS) throw;
    api().log(plugin.self(), PHOST_LOG_DEBUG,
              to_str(std::string(name) + " is registered already: scripts use that one"));
  }
}

}  // namespace

void add_library_processes(const Plugin& plugin, const Options& options, DelayedCalls& delayed) {
  constexpr std::pair<const char*, int32_t> kLevels[] = {
      {"Trace", PHOST_LOG_TRACE}, {"Debug", PHOST_LOG_DEBUG}, {"Info", PHOST_LOG_INFO},  {"Warn", PHOST_LOG_WARN},
      {"Error", PHOST_LOG_ERROR}, {"Fatal", PHOST_LOG_ERROR},  {"Panic", PHOST_LOG_ERROR}};  // phost exits and panics for no script
  phost_plugin* self = plugin.self();
  for (const auto& [level_name, level] : kLevels) {
    const std::string name = std::string("log.") + level_name;
    add_unless_taken(plugin, name, name + "(line): writes line to the host log (scripts' log." + level_name + ")",
                     [self, level = level](Call& call) {
                       constexpr size_t kMaxLine = 1u << 20;  // a log line is no place for more
                       std::string_view line = call.arg<std::string_view>(0);
                       std::string cut;
                       if (line.size() > kMaxLine) {
                         size_t end = kMaxLine;
                         while (end > 0 && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) --end;  // whole characters
                         cut = std::string(line.substr(0, end)) + "... (" + std::to_string(line.size()) + " bytes)";
                         line = cut;
                       }
                       api().log(self, level, to_str(line));
                       return Value::null();
                     });
  }

  add_unless_taken(plugin, "time.Sleep", "time.Sleep(ms): waits ms milliseconds, never past the call's deadline",
                   [](Call& call) {
                     const int64_t ms = delay_ms(call, "time.Sleep(ms)");
                     check(api().ctx_wait(call.ctx(), api().clock_ns() + ms * 1'000'000));
                     return Value::null();
                   });

  add_unless_taken(plugin, "time.After",
                   "time.After(ms, process, ...args): calls process with args after ms milliseconds, outside this call",
                   [&options, &delayed, self](Call& call) {
                     const int64_t ms = delay_ms(call, "time.After(ms, process, ...args)");
                     std::string name = call.arg<std::string>(1);
                     // A malformed name fails now, not when the call is due (or never made).
                     try {
                       ProcessHandle(self, name);
                     } catch (const Error& e) {
                       if (e.code() == 400) throw Error(400, "time.After: " + std::string(e.what()), PHOST_E_INVALID_ARG);
                     }
                     if (!options.rules.allows(name))
                       throw Error(403, "time.After: scripts may not call '" + name + "' (the runtime's process rules)",
                                   PHOST_E_PROCESS);
                     Value args = Value::array(call.arg_count() > 2 ? call.arg_count() - 2 : 0);
                     for (size_t i = 2; i < call.arg_count(); ++i) args.push(call.args()[i].retain());
                     delayed.add(api().clock_ns() + ms * 1'000'000, std::move(name), std::move(args));
                     return Value::null();
                   });
}

}  // namespace phost::v8rt
