// Routes a phost::Host's log lines into the application's own spdlog sinks:
//
//   phost::Host::Options options;
//   options.log = phost::log_to(my_logger->sinks());
//
// A header of its own, not an `#if __has_include(<spdlog/spdlog.h>)` block in
// host.hpp: that would give host.hpp a different content in translation units
// with and without spdlog on their include path (an ODR hazard for a
// header-only class), and pull spdlog into every application that includes
// host.hpp. libphost links spdlog privately; only this header needs it.
#pragma once

#include <phost/host.hpp>

#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/sink.h>

#include <utility>
#include <vector>

namespace phost {

// A LogFn that writes every line into sinks, with the host's logger name
// ("phost", "phost.<plugin>"). The sinks must be thread-safe (the _mt kinds):
// hosts log from any thread. The host's log_level filters first, then each
// sink's own level.
inline LogFn log_to(std::vector<spdlog::sink_ptr> sinks) {
  return [sinks = std::move(sinks)](int level, std::string_view logger, std::string_view message) {
    const auto lvl = static_cast<spdlog::level::level_enum>(level);
    const spdlog::details::log_msg msg(spdlog::string_view_t(logger.data(), logger.size()), lvl,
                                       spdlog::string_view_t(message.data(), message.size()));
    for (const spdlog::sink_ptr& sink : sinks)
      if (sink->should_log(lvl)) sink->log(msg);
  };
}

}  // namespace phost
