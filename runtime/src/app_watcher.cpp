#include "app_watcher.hpp"

#include <phost/value.hpp>

#ifdef __linux__
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#endif

namespace phost::v8rt {

#ifdef __linux__
namespace {

constexpr uint32_t kEvents =
    IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB;

}  // namespace

AppWatcher::AppWatcher(std::filesystem::path root, Reload reload) : root_(std::move(root)), reload_(std::move(reload)) {
  inotify_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_ < 0 || pipe2(stop_, O_CLOEXEC) != 0) {
    const std::string why = std::strerror(errno);
    if (inotify_ >= 0) close(inotify_);
    throw Error(500, "watch: cannot watch " + root_.string() + ": " + why, PHOST_E_INTERNAL);
  }
  try {
    watch_tree(root_);
    thread_ = std::thread([this] { run(); });
  } catch (...) {
    close(inotify_);
    close(stop_[0]);
    close(stop_[1]);
    throw;
  }
}

AppWatcher::~AppWatcher() {
  const char byte = 0;
  (void)!write(stop_[1], &byte, 1);
  thread_.join();
  close(inotify_);
  close(stop_[0]);
  close(stop_[1]);
}

void AppWatcher::watch_tree(const std::filesystem::path& dir) {
  const int wd = inotify_add_watch(inotify_, dir.c_str(), kEvents | IN_ONLYDIR);
  if (wd < 0) {
    if (dir == root_) throw Error(500, "watch: cannot watch " + dir.string() + ": " + std::strerror(errno), PHOST_E_INTERNAL);
    return;  // gone again already, or out of watches: the next reload still reads it
  }
  dirs_[wd] = dir;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    std::error_code entry;  // an entry that cannot be read (a link loop) ends nothing but itself
    if (it->is_directory(entry) && !it->is_symlink(entry)) watch_tree(it->path());
  }
}

void AppWatcher::run() noexcept {
  alignas(inotify_event) char buffer[16 * 1024];
  std::vector<std::filesystem::path> removed;
  bool changed = false;
  for (;;) {
    pollfd fds[2] = {{inotify_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    // Waits for the first change without end, then until the burst settles.
    const int ready = poll(fds, 2, changed ? static_cast<int>(kSettle.count()) : -1);
    if (ready < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (ready == 0 && changed) {
      try {
        reload_(removed);
      } catch (...) {  // the reload reports its own failures; the watch goes on
      }
      removed.clear();
      changed = false;
      continue;
    }
    const ssize_t n = read(inotify_, buffer, sizeof buffer);
    for (ssize_t at = 0; n > 0 && at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      const auto dir = dirs_.find(event->wd);
      if (event->mask & IN_IGNORED) {
        if (dir != dirs_.end()) dirs_.erase(dir);
        continue;
      }
      if (dir == dirs_.end() || event->len == 0) continue;
      const std::filesystem::path path = dir->second / event->name;
      try {
        if ((event->mask & IN_ISDIR) && (event->mask & (IN_CREATE | IN_MOVED_TO))) watch_tree(path);
        if (event->mask & (IN_DELETE | IN_MOVED_FROM)) removed.push_back(path.lexically_relative(root_));
      } catch (...) {  // out of memory for one path: the reload still happens
      }
      changed = true;
    }
  }
}

#else

AppWatcher::AppWatcher(std::filesystem::path root, Reload reload) : root_(std::move(root)), reload_(std::move(reload)) {
  throw Error(501, "watch: needs inotify, which only Linux has", PHOST_E_UNSUPPORTED);
}
AppWatcher::~AppWatcher() = default;
void AppWatcher::run() noexcept {}
void AppWatcher::watch_tree(const std::filesystem::path&) {}

#endif

}  // namespace phost::v8rt
