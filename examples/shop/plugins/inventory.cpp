// An example native plugin, written only against phost's SDK the way a third
// party would: an in-memory stock table configured by the application.
//   inventory.stock.Check(sku, qty) -> {sku, available, enough}
//   inventory.stock.Reserve(sku, qty) -> remaining (409 when short)
#include <phost/plugin.hpp>

#include <map>
#include <mutex>
#include <string>

namespace {

struct Stock {
  std::mutex mutex;
  std::map<std::string, int64_t> units;
};

void init(phost::Plugin& plugin, phost_plugin_info& info) {
  auto stock = std::make_unique<Stock>();
  const phost::View config = plugin.config()["stock"];  // {"apple": 10, ...}
  for (size_t i = 0; i < config.size(); ++i) stock->units[std::string(config.key_at(i))] = config[i].as_int();
  Stock* s = stock.get();
  info.plugin_data = stock.release();
  info.on_unload = [](void* data) { delete static_cast<Stock*>(data); };

  plugin.add("inventory", "inventory.stock.Check(sku, qty), inventory.stock.Reserve(sku, qty)",
             [s](phost::Call& call) -> phost::Value {
               const phost_call_info where = call.info();
               const std::string method(phost::to_view(where.method));
               const std::string sku = call.arg<std::string>(0);
               const int64_t qty = call.arg<int64_t>(1);
               std::lock_guard lock(s->mutex);
               auto it = s->units.find(sku);
               if (it == s->units.end()) throw phost::Error(404, "unknown sku '" + sku + "'");
               if (method == "Check") {
                 phost::Value out = phost::Value::object();
                 out.set("sku", phost::Value::string(sku));
                 out.set("available", phost::Value::integer(it->second));
                 out.set("enough", phost::Value::boolean(it->second >= qty));
                 return out;
               }
               if (method == "Reserve") {
                 if (it->second < qty)
                   throw phost::Error(409, "only " + std::to_string(it->second) + " of '" + sku + "' left");
                 it->second -= qty;
                 return phost::Value::integer(it->second);
               }
               throw phost::Error(404, "inventory has no method '" + method + "'");
             },
             PHOST_PROCESS_GROUP);
}

}  // namespace

PHOST_DECLARE_PLUGIN("inventory", "1.0.0", init)
