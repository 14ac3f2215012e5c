// References gathered for one container, built in one host call at the end
// (Value::array_of / object_of): a push or set through the ABI per item cost
// ~80 instructions of checks each (issue 14). Released if never handed over.
#pragma once

#include <phost/value.hpp>

#include <boost/container/small_vector.hpp>

#include <cstddef>
#include <string_view>

namespace phost::v8rt {

class ValueList {
public:
  ValueList() noexcept = default;
  ValueList(const ValueList&) = delete;
  ValueList& operator=(const ValueList&) = delete;
  ~ValueList() {
    for (phost_value* v : items_) api().value_release(v);
  }

  void reserve(size_t n) { items_.reserve(n); }
  void push(Value item) {
    items_.push_back(nullptr);
    items_.back() = item.release();
  }
  // key must stay valid until object().
  void set(std::string_view key, Value item) {
    keys_.push_back(to_str(key));
    items_.push_back(nullptr);
    items_.back() = item.release();
  }

  Value array() { return Value::array_of(items_.data(), handed_over()); }
  Value object() { return Value::object_of(keys_.data(), items_.data(), handed_over()); }

private:
  size_t handed_over() noexcept {
    const size_t n = items_.size();
    items_.clear();  // the storage stays: the constructor reads it
    return n;
  }

  boost::container::small_vector<phost_value*, 8> items_;
  boost::container::small_vector<phost_str, 8> keys_;  // set() only
};

}  // namespace phost::v8rt
