#include "runtime.hpp"

#include <libplatform/libplatform.h>
#include <v8-initialization.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

namespace phost::v8rt {
namespace {

// V8 is initialised once per process and never torn down: it cannot be
// initialised again after V8::Dispose, and several hosts may load us.
void initialize_v8_once() {
  static const bool initialized = [] {
    static std::unique_ptr<v8::Platform> platform = v8::platform::NewDefaultPlatform();
    v8::V8::InitializePlatform(platform.get());
    v8::V8::Initialize();
    return true;
  }();
  (void)initialized;
}

constexpr auto kWatchdogTick = std::chrono::milliseconds(2);
constexpr auto kWatchdogLinger = std::chrono::milliseconds(200);

}  // namespace

Runtime::Runtime(phost_plugin* self, Options options)
    : self_(self),
      options_(std::move(options)),
      store_([this](uint64_t key) { cache_.forget(key); }),
      cache_(options_.cache_dir) {
  initialize_v8_once();
  for (unsigned i = 0; i < options_.isolates; ++i) {
    slots_.push_back(std::make_unique<IsolateSlot>(*this, i));
    free_.push_back(slots_.back().get());
  }
  watchdog_ = std::thread([this] { watchdog_main(); });
}

Runtime::~Runtime() {
  {
    std::lock_guard lock(watchdog_mutex_);
    stopping_ = true;
    watchdog_idle_.store(false);
  }
  watchdog_cv_.notify_all();
  watchdog_.join();
  slots_.clear();  // no call may run now (phost_host_destroy's rule)
}

IsolateSlot* Runtime::acquire() {
  thread_local IsolateSlot* last = nullptr;
  std::unique_lock lock(pool_mutex_);
  slot_freed_.wait(lock, [this] { return !free_.empty(); });
  auto it = std::find(free_.begin(), free_.end(), last);
  if (it == free_.end()) it = free_.end() - 1;
  IsolateSlot* slot = *it;
  free_.erase(it);
  last = slot;
  return slot;
}

void Runtime::release(IsolateSlot* slot) {
  {
    std::lock_guard lock(pool_mutex_);
    free_.push_back(slot);
  }
  slot_freed_.notify_one();
}

Lease::Lease(Runtime& runtime) : runtime_(runtime), slot_(IsolateSlot::current()), owned_(slot_ == nullptr) {
  if (owned_) {
    slot_ = runtime_.acquire();
    slot_->enter();
  }
}

Lease::~Lease() {
  if (owned_) {
    slot_->leave();
    runtime_.release(slot_);
  }
}

void Runtime::log(int32_t level, std::string_view message) const noexcept {
  api().log(self_, level, to_str(message));
}

phost_status Runtime::call_script(phost_call_ctx* ctx, const phost_value* args, phost_value** out) noexcept {
  phost_call_info info{};
  info.struct_size = sizeof info;
  api().ctx_info(ctx, &info);
  const std::string_view id = to_view(info.id), method = to_view(info.method);
  Outcome outcome;
  try {
    Lease slot(*this);  // a nested call re-enters the slot this thread holds
    outcome = slot->call(id, method, args, ctx);
  } catch (const std::exception& e) {
    outcome = Outcome::failure(PHOST_E_INTERNAL, 500, e.what());
  }
  if (outcome.status == PHOST_OK) {
    *out = outcome.value;
    return PHOST_OK;
  }
  api().ctx_set_error(ctx, outcome.code, to_str(outcome.message));
  return outcome.status;
}

Value Runtime::load(std::string id, std::string source, std::string file) {
  std::shared_ptr<ScriptVersion> version;
  try {
    version = make_version(std::move(id), std::move(source), std::move(file));
  } catch (const std::invalid_argument& e) {
    throw Error(400, e.what(), PHOST_E_INVALID_ARG);
  }
  {
    // The new version is compiled into the leased isolate; it is published
    // before the isolate is free again, so no call sees it unpublished.
    Lease slot(*this);
    const Outcome checked = slot->load(version);
    if (checked.status != PHOST_OK) throw Error(checked.code, checked.message, checked.status);
    store_.publish(version);
  }
  Value out = Value::object();
  out.set("id", Value::string(version->id));
  out.set("version", Value::integer(static_cast<int64_t>(version->number)));
  out.set("module", Value::boolean(version->module));
  out.set("file", Value::string(version->file));
  return out;
}

size_t Runtime::load_app_dir() {
  if (options_.app_dir.empty()) return 0;
  const auto root = options_.app_dir / "scripts";
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return 0;
  size_t count = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".js") continue;
    const auto relative = std::filesystem::relative(it->path(), root);
    const std::string id = script_id_from_path(relative);
    if (id.empty()) throw Error(400, "cannot make a script id of " + relative.string(), PHOST_E_INVALID_ARG);
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    load(id, text.str(), relative.string());
    ++count;
  }
  if (ec) throw Error(500, "reading " + root.string() + ": " + ec.message(), PHOST_E_INTERNAL);
  return count;
}

Value Runtime::stats(bool collect_garbage) {
  // Whichever isolate is free answers for the heap figures.
  Outcome heap = Lease(*this)->stats(collect_garbage);
  const auto c = cache_.stats();
  Value cache = Value::object();
  cache.set("hits", Value::integer(static_cast<int64_t>(c.hits)));
  cache.set("misses", Value::integer(static_cast<int64_t>(c.misses)));
  cache.set("rejected", Value::integer(static_cast<int64_t>(c.rejected)));
  cache.set("stored", Value::integer(static_cast<int64_t>(c.stored)));
  Value out = Value::object();
  out.set("scripts", Value::integer(static_cast<int64_t>(store_.all().size())));
  out.set("isolates", Value::integer(static_cast<int64_t>(slots_.size())));
  if (heap.status == PHOST_OK && heap.value) out.set("heap", Value::adopt(heap.value));
  out.set("code_cache", std::move(cache));
  return out;
}

void Runtime::watchdog_wake() noexcept {
  if (watchdog_idle_.load()) {
    {
      std::lock_guard lock(watchdog_mutex_);
      watchdog_idle_.store(false);
    }
    watchdog_cv_.notify_one();
  }
}

void Runtime::watchdog_main() {
  // Ticks while calls run (and a little after); sleeps when the pool is idle.
  auto any_busy = [this] {
    bool busy = false;
    const int64_t now_ns = api().clock_ns();
    for (const auto& w : slots_) {
      if (w->busy()) {
        busy = true;
        w->check_deadline(now_ns);
      }
    }
    return busy;
  };
  auto last_busy = std::chrono::steady_clock::now();
  std::unique_lock lock(watchdog_mutex_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    if (any_busy()) last_busy = now;
    if (now - last_busy < kWatchdogLinger) {
      watchdog_cv_.wait_for(lock, kWatchdogTick);
      continue;
    }
    // Announce the sleep before the last look: a worker that arms after that
    // look sees the flag (both go through the worker's guard) and wakes us.
    watchdog_idle_.store(true);
    if (!any_busy()) watchdog_cv_.wait(lock, [this] { return stopping_ || !watchdog_idle_.load(); });
    watchdog_idle_.store(false);
    last_busy = std::chrono::steady_clock::now();
  }
}

}  // namespace phost::v8rt
