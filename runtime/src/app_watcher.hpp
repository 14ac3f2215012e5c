// The `watch` option: a thread that follows an app's scripts/ folder with
// inotify and asks for a reload once a burst of changes has settled (an
// editor's save is several events). Linux only; elsewhere constructing one
// throws phost::Error 501.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>
#include <unordered_map>
#include <vector>

namespace phost::v8rt {

class AppWatcher {
public:
  // reload(removed) runs on the watcher's thread after changes under root
  // (recursively, new folders included); removed holds the paths, relative to
  // root, of files and folders deleted or moved away since the last reload.
  // Throws phost::Error when root cannot be watched.
  using Reload = std::function<void(const std::vector<std::filesystem::path>& removed)>;
  // Changes closer together than this are one reload.
  static constexpr std::chrono::milliseconds kSettle{50};
  AppWatcher(std::filesystem::path root, Reload reload);
  ~AppWatcher();  // stops the thread; a reload under way finishes first
  AppWatcher(const AppWatcher&) = delete;
  AppWatcher& operator=(const AppWatcher&) = delete;

private:
  void run() noexcept;
  void watch_tree(const std::filesystem::path& dir);

  std::filesystem::path root_;
  Reload reload_;
  int inotify_ = -1;
  int stop_[2] = {-1, -1};  // a pipe: writing to it ends run()
  std::unordered_map<int, std::filesystem::path> dirs_;  // watch descriptor -> folder, relative to root_
  std::thread thread_;
};

}  // namespace phost::v8rt
