// Stack room for up to N values that are each written before they are read.
// Unlike T[N] it is not initialized: a call's room for 8 arguments of 16 keys
// as std::string_view[8][16] cost 260 instructions of zeroing per call.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>

namespace phost::v8rt {

template <class T, size_t N>
class Scratch {
  // Implicit-lifetime types: the byte array creates them as they are written.
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

public:
  Scratch() noexcept {}  // NOLINT: leaves bytes_ uninitialized on purpose
  T* data() noexcept { return std::launder(reinterpret_cast<T*>(bytes_)); }
  T& operator[](size_t i) noexcept { return data()[i]; }

private:
  alignas(T) unsigned char bytes_[sizeof(T) * N];
};

}  // namespace phost::v8rt
