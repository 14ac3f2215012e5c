// Logging on spdlog. Every host owns its sinks; plugins get child loggers
// "phost.<plugin>" on the same sinks. Nothing goes into spdlog's global
// registry, so several hosts (and the application's own spdlog) never clash.
#pragma once

#include <phost/phost.h>

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace phost {

spdlog::level::level_enum to_spdlog_level(int32_t level) noexcept;

// Sinks for a host: the application's callback, or stderr.
std::vector<spdlog::sink_ptr> make_sinks(phost_log_fn callback, void* callback_data);

std::shared_ptr<spdlog::logger> make_logger(std::string name, const std::vector<spdlog::sink_ptr>& sinks,
                                            spdlog::level::level_enum level);

}  // namespace phost
