// greeter: a phost plugin (written by `phost new plugin greeter`).
//
//   greeter.hello(name)          -> "Hello, <name>!"; 422 for an empty name
//   greeter.repeat(text, times)  -> text repeated times times (0 to 1000)
//
// Configuration (--config '{"greeting": "Hi"}'): greeting, default "Hello".
#include <phost/plugin.hpp>

#include <cstdint>
#include <string>

namespace {

phost::Value hello(const std::string& greeting, phost::Call& call) {
  const std::string name = call.arg<std::string>(0);  // missing or not a string: 400
  if (name.empty())
    throw phost::Error(422, "greeter.hello: the name is empty", PHOST_E_INVALID_ARG);
  return phost::Value::string(greeting + ", " + name + "!");
}

phost::Value repeat(phost::Call& call) {
  const std::string_view text = call.arg<std::string_view>(0);  // borrowed from the arguments
  const int64_t times = call.arg<int64_t>(1);
  if (times < 0 || times > 1000)
    throw phost::Error(400, "greeter.repeat: times must be 0 to 1000, not " + std::to_string(times),
                       PHOST_E_INVALID_ARG);
  std::string out;
  out.reserve(text.size() * static_cast<size_t>(times));
  for (int64_t i = 0; i < times; ++i) out += text;
  return phost::Value::string(out);
}

// Runs once per host that loads the plugin. Register processes here; keep
// per-host state in info.plugin_data (freed in info.on_unload) or in the
// handlers' captures, not in globals.
void init(phost::Plugin& plugin, phost_plugin_info& /*info*/) {
  // Only the keys listed: a misspelt one fails the load with a 400.
  const phost::View config = plugin.config({"greeting"});
  std::string greeting = "Hello";
  if (const phost::View g = config["greeting"]) greeting = std::string(g.as_string());
  plugin.add("greeter.hello", "greeter.hello(name): a greeting",
             [greeting](phost::Call& call) { return hello(greeting, call); });
  plugin.add("greeter.repeat", "greeter.repeat(text, times): text repeated", repeat);
}

}  // namespace

PHOST_DECLARE_PLUGIN("greeter", "0.1.0", init)
