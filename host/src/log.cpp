#include "log.hpp"

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <algorithm>

namespace phost {
namespace {

// Hands raw lines to the application; it formats them itself. No lock: the
// callback is documented to run concurrently.
class CallbackSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
public:
  CallbackSink(phost_log_fn fn, void* data) : fn_(fn), data_(data) {}

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const int32_t level = msg.level >= spdlog::level::err ? PHOST_LOG_ERROR : static_cast<int32_t>(msg.level);
    fn_(data_, level, phost_str{msg.logger_name.data(), msg.logger_name.size()},
        phost_str{msg.payload.data(), msg.payload.size()});
  }
  void flush_() override {}

private:
  phost_log_fn fn_;
  void* data_;
};

}  // namespace

spdlog::level::level_enum to_spdlog_level(int32_t level) noexcept {
  return static_cast<spdlog::level::level_enum>(std::clamp<int32_t>(level, PHOST_LOG_TRACE, PHOST_LOG_ERROR));
}

std::vector<spdlog::sink_ptr> make_sinks(phost_log_fn callback, void* callback_data) {
  if (callback) return {std::make_shared<CallbackSink>(callback, callback_data)};
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  sink->set_pattern("[%H:%M:%S.%e] [%n] [%^%l%$] %v");
  return {sink};
}

std::shared_ptr<spdlog::logger> make_logger(std::string name, const std::vector<spdlog::sink_ptr>& sinks,
                                            spdlog::level::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>(std::move(name), sinks.begin(), sinks.end());
  logger->set_level(level);
  return logger;
}

}  // namespace phost
