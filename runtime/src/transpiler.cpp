#include "transpiler.hpp"

#include "transpiler_engine.hpp"

#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <variant>

namespace phost::v8rt {
namespace {

// How long a terminated call may take to unwind before the transpiler gives up on its thread.
constexpr auto kUnwindGrace = std::chrono::seconds(1);
// Loading the bundle runs only our code, whatever the input: bounded apart from
// the per-call deadline, so a busy machine does not fail the call that loads it.
constexpr auto kLoadDeadline = std::chrono::seconds(10);

struct StripJob {
  std::string source, file;
  TranspileResult result;
};
struct ScanJob {
  std::string source;
  bool typescript = false;
  ScanResult result;
};
struct WarmUpJob {
  std::string error;
};

}  // namespace

// The thread that owns the engine, and the hand-over of one job at a time.
// Jobs own copies of their inputs: if V8 ever ignores a termination, the
// caller returns and the job may finish later without touching its memory.
class Transpiler::Worker : public std::enable_shared_from_this<Transpiler::Worker> {
public:
  using Job = std::variant<StripJob, ScanJob, WarmUpJob>;

  explicit Worker(Options options) : options_(options) {}

  // Runs job on the worker thread within the deadline; the returned string is
  // the error that replaces the job's own result ("" when the job finished).
  std::string run(Job& job, Deadline deadline = Deadline::max()) {
    std::unique_lock call(call_mutex_, std::defer_lock);
    if (deadline == Deadline::max()) call.lock();
    else if (!call.try_lock_until(deadline)) return std::string(kDeadlinePassed);
    std::unique_lock lock(mutex_);
    if (broken_) return "the transpiler is disabled: an earlier call could not be stopped";
    if (!thread_.joinable()) {
      try {
        thread_ = std::thread([self = shared_from_this()] { self->main(); });
      } catch (const std::system_error& e) {
        return std::string("cannot start the transpiler's thread: ") + e.what();
      }
    }
    auto posted = std::make_shared<Job>(std::move(job));
    job_ = posted;
    done_ = timed_out_ = started_ = false;
    wake_.notify_one();
    const auto posted_at = std::chrono::steady_clock::now();
    const bool loaded = finished_.wait_until(lock, posted_at + kLoadDeadline, [this] { return started_; });
    // The engine's load (first job, or after a reset) is not the caller's work: it moves their deadline.
    if (loaded && deadline != Deadline::max()) deadline += started_at_ - posted_at;
    const Deadline own_deadline = started_at_ + options_.deadline;
    if (!loaded || !finished_.wait_until(lock, std::min(own_deadline, deadline), [this] { return done_; })) {
      timed_out_ = true;
      if (isolate_) isolate_->TerminateExecution();  // thread-safe; the engine lives while isolate_ is set
      if (!finished_.wait_for(lock, kUnwindGrace, [this] { return done_; })) {
        broken_ = true;
        return "the transpiler did not stop after " + std::to_string(options_.deadline.count()) + " ms";
      }
    }
    job = std::move(*posted);
    if (timed_out_ && !loaded) return "the transpiler did not load within " + std::to_string(kLoadDeadline.count()) + " s";
    if (timed_out_ && deadline < own_deadline) return std::string(kDeadlinePassed);
    if (timed_out_) return "took longer than " + std::to_string(options_.deadline.count()) + " ms";
    if (heap_limit_hit_) return "exceeded the transpiler's heap limit of " + std::to_string(options_.heap_limit >> 20) + " MB";
    return {};
  }

  void stop() noexcept {
    bool broken = false;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      broken = broken_;
    }
    wake_.notify_one();
    if (!thread_.joinable()) return;
    if (broken) {
      thread_.detach();  // still inside V8: it keeps this object alive and ends on its own, if ever
    } else {
      thread_.join();
    }
  }

private:
  void main() {
    std::unique_ptr<TranspilerEngine> engine;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || job_; });
      if (!job_) break;
      std::shared_ptr<Job> job = std::move(job_);
      heap_limit_hit_ = false;
      lock.unlock();
      engine = serve(std::move(engine), *job);
      lock.lock();
      done_ = true;
      finished_.notify_all();
    }
    isolate_ = nullptr;
    lock.unlock();
    engine.reset();  // disposes the isolate on the thread that used it
  }

  // Runs one job, creating the engine first if needed; returns the engine
  // worth keeping (none after a failed load or a reached heap limit).
  std::unique_ptr<TranspilerEngine> serve(std::unique_ptr<TranspilerEngine> engine, Job& job) {
    std::string load_error;
    // A termination aimed at the previous job after it ended must not hit this one.
    if (engine) engine->isolate()->CancelTerminateExecution();
    if (!engine) {
      engine = std::make_unique<TranspilerEngine>(options_);
      publish(engine->isolate());
      load_error = engine->load();
    }
    {
      std::lock_guard lock(mutex_);
      started_ = true;  // the call's own deadline runs from here
      started_at_ = std::chrono::steady_clock::now();
    }
    finished_.notify_all();
    if (load_error.empty()) {
      std::visit(
          [&engine](auto& j) {
            using J = std::decay_t<decltype(j)>;
            if constexpr (std::is_same_v<J, StripJob>) j.result = engine->strip(j.source, j.file);
            if constexpr (std::is_same_v<J, ScanJob>) j.result = engine->scan(j.source, j.typescript);
          },
          job);
    } else if (auto* warm_up = std::get_if<WarmUpJob>(&job)) {
      warm_up->error = load_error;
    } else if (auto* strip = std::get_if<StripJob>(&job)) {
      strip->result.error = strip->file + ":1:1: " + load_error;
    } else if (auto* scan = std::get_if<ScanJob>(&job)) {
      scan->result.error = "1:1: " + load_error;
    }
    engine->isolate()->CancelTerminateExecution();
    const bool keep = load_error.empty() && !engine->condemned();
    {
      std::lock_guard lock(mutex_);
      heap_limit_hit_ = engine->condemned();
      if (!keep) isolate_ = nullptr;
    }
    if (!keep) engine.reset();
    return engine;
  }

  void publish(v8::Isolate* isolate) {
    std::lock_guard lock(mutex_);
    isolate_ = isolate;
  }

  const Options options_;
  std::timed_mutex call_mutex_;  // one call at a time
  std::mutex mutex_;       // everything below
  std::condition_variable wake_, finished_;
  std::thread thread_;
  std::shared_ptr<Job> job_;
  v8::Isolate* isolate_ = nullptr;  // the engine's, for TerminateExecution
  std::chrono::steady_clock::time_point started_at_;
  bool started_ = false, done_ = false, timed_out_ = false, heap_limit_hit_ = false, stopping_ = false,
       broken_ = false;
};

Transpiler::Transpiler() : Transpiler(Options{}) {}

Transpiler::Transpiler(Options options) : options_(options), worker_(std::make_shared<Worker>(options)) {}

Transpiler::~Transpiler() { worker_->stop(); }

namespace {

// A source larger than the heap cannot be parsed in it (sucrase needs tens of
// bytes per character): refused before it is copied.
std::string too_large(size_t size, const Transpiler::Options& options) {
  if (size <= options.heap_limit) return {};
  return "a source of " + std::to_string(size >> 20) + " MB exceeds the transpiler's heap limit of " +
         std::to_string(options.heap_limit >> 20) + " MB";
}

}  // namespace

TranspileResult Transpiler::strip(std::string_view source, std::string_view file, Deadline deadline) noexcept {
  if (std::string error = too_large(source.size(), options_); !error.empty()) {
    return {false, {}, std::string(file) + ":1:1: " + error};
  }
  Worker::Job job = StripJob{std::string(source), std::string(file), {}};
  if (std::string error = worker_->run(job, deadline); !error.empty()) {
    return {false, {}, std::string(file) + ":1:1: " + error};
  }
  return std::move(std::get<StripJob>(job).result);
}

ScanResult Transpiler::scan(std::string_view source, bool typescript, Deadline deadline) noexcept {
  if (std::string error = too_large(source.size(), options_); !error.empty()) {
    ScanResult failed;
    failed.error = "1:1: " + error;
    return failed;
  }
  Worker::Job job = ScanJob{std::string(source), typescript, {}};
  if (std::string error = worker_->run(job, deadline); !error.empty()) {
    ScanResult failed;
    failed.error = "1:1: " + error;
    return failed;
  }
  return std::move(std::get<ScanJob>(job).result);
}

std::string Transpiler::warm_up() noexcept {
  Worker::Job job = WarmUpJob{};
  if (std::string error = worker_->run(job); !error.empty()) return error;
  return std::move(std::get<WarmUpJob>(job).error);
}

}  // namespace phost::v8rt
