// A file descriptor with one owner, closed when its owner goes, including on
// a constructor's exception path.
#pragma once

#include <unistd.h>

#include <utility>

namespace phost::worker {

class Fd {
public:
  Fd() noexcept = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    Fd(std::move(other)).swap(*this);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }

  int get() const noexcept { return fd_; }  // -1 when none
  int release() noexcept { return std::exchange(fd_, -1); }
  void swap(Fd& other) noexcept { std::swap(fd_, other.fd_); }

private:
  int fd_ = -1;
};

}  // namespace phost::worker
