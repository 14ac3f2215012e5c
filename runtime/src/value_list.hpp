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
    if (!handed_over_)
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
    try {
      push(std::move(item));
    } catch (...) {
      keys_.pop_back();
      throw;
    }
  }

  // Once: the constructor takes the references, even when it throws.
  Value array() {
    handed_over_ = true;
    return Value::array_of(items_.data(), items_.size());
  }
  Value object() {
    handed_over_ = true;
    return Value::object_of(keys_.data(), items_.data(), items_.size());
  }

private:
  bool handed_over_ = false;
  boost::container::small_vector<phost_value*, 8> items_;
  boost::container::small_vector<phost_str, 8> keys_;  // set() only
};

}  // namespace phost::v8rt
