// echo: the smallest useful native plugin, written only against sdk/ as a
// third party would. The CLI's demo (until the V8 plugin exists) and the
// plugin the registry benchmark calls.
//
//   echo.echo(...)          -> its arguments, as an array
//   echo.add(a, b)          -> a + b (integers; 400 on overflow)
//   echo.fail(code, msg)    -> fails with that code and message
#include <phost/plugin.hpp>

#include <cstdint>
#include <limits>
#include <string>

namespace {

phost::Value echo(phost::Call& call) {
  // The arguments array is frozen, so handing back another reference is safe.
  return call.args().retain();
}

phost::Value add(phost::Call& call) {
  const int64_t a = call.arg<int64_t>(0);
  const int64_t b = call.arg<int64_t>(1);
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum))
    throw phost::Error(400, "echo.add: " + std::to_string(a) + " + " + std::to_string(b) + " overflows int64",
                       PHOST_E_INVALID_ARG);
  return phost::Value::integer(sum);
}

phost::Value fail(phost::Call& call) {
  const int64_t code = call.arg<int64_t>(0);
  // A code outside int32 would be truncated into something misleading.
  if (code <= 0 || code > std::numeric_limits<int32_t>::max())
    throw phost::Error(400, "echo.fail: code " + std::to_string(code) + " is not a positive int32",
                       PHOST_E_INVALID_ARG);
  throw phost::Error(static_cast<int32_t>(code), call.arg<std::string>(1));
}

void init(phost::Plugin& plugin, phost_plugin_info& /*info*/) {
  plugin.config({});  // takes no configuration: any key is a mistake
  plugin.add("echo.echo", "Returns its arguments as an array", echo);
  plugin.add("echo.add", "Adds two integers: echo.add(a, b) -> a + b", add);
  plugin.add("echo.fail", "Fails with the given code and message: echo.fail(code, message)", fail);
}

}  // namespace

PHOST_DECLARE_PLUGIN("echo", "1.0.0", init)
