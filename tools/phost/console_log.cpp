#include "console_log.hpp"

#include <cstdio>
#include <string>

namespace phost::cli {
namespace {

const char* level_name(int level) {
  switch (level) {
    case PHOST_LOG_TRACE: return "trace";
    case PHOST_LOG_DEBUG: return "debug";
    case PHOST_LOG_INFO: return "info";
    case PHOST_LOG_WARN: return "warning";
    default: return "error";
  }
}

// "[scripts.orders.total] text" -> "text"; npos when the line is no console line.
size_t console_text_start(std::string_view message) {
  constexpr std::string_view kPrefix = "[scripts.";
  if (!message.starts_with(kPrefix)) return std::string_view::npos;
  const size_t close = message.find(']', kPrefix.size());
  if (close == std::string_view::npos) return std::string_view::npos;
  return close + 1 < message.size() && message[close + 1] == ' ' ? close + 2 : close + 1;
}

}  // namespace

void ConsoleLog::operator()(int line_level, std::string_view logger, std::string_view message) const {
  std::string line;
  if (const size_t start = console_text_start(message); start != std::string_view::npos) {
    if (quiet) return;
    line.assign(message.substr(start));
  } else {
    if (line_level < level) return;
    line.append("[").append(logger).append("] ").append(level_name(line_level)).append(": ").append(message);
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace phost::cli
