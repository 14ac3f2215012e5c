#include "shared.hpp"

#include "../error.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <string>
#include <utility>

namespace phost::worker {
namespace {

SharedPage* map(int fd) {
  void* p = ::mmap(nullptr, sizeof(SharedPage), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) throw Error(PHOST_E_LOAD, std::string("worker: cannot map its shared page: ") + ::strerror(errno));
  return static_cast<SharedPage*>(p);
}

}  // namespace

SharedMemory::SharedMemory() {
  fd_ = ::memfd_create("phost-worker", MFD_CLOEXEC);
  if (fd_ < 0) throw Error(PHOST_E_LOAD, std::string("worker: memfd_create: ") + ::strerror(errno));
  if (::ftruncate(fd_, sizeof(SharedPage)) != 0) {
    const int error = errno;
    ::close(fd_);
    throw Error(PHOST_E_LOAD, std::string("worker: cannot size its shared page: ") + ::strerror(error));
  }
  try {
    page_ = map(fd_);
  } catch (...) {
    ::close(fd_);
    throw;
  }
  new (page_) SharedPage{};  // the memfd is zeroed: this only starts the atomics' lifetime
}

SharedMemory::SharedMemory(int fd) : page_(map(fd)) { ::close(fd); }

SharedMemory::~SharedMemory() {
  close_fd();
  ::munmap(page_, sizeof(SharedPage));
}

void SharedMemory::close_fd() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

}  // namespace phost::worker
