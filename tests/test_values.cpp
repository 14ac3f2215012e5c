// Values: every kind built and read back, freezing, UTF-8, JSON in and out,
// and sizes and depths far past the everyday ones.
#include "support.hpp"

#include <phost/value.hpp>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using namespace test;

TEST_SUITE("values") {

TEST_CASE("every kind can be built and read back") {
  const phost_api& a = api();
  phost_value* v = nullptr;

  REQUIRE(a.value_null(&v) == PHOST_OK);
  Ref null_v(v);
  CHECK(a.value_kind(null_v.get()) == PHOST_NULL);

  REQUIRE(a.value_bool(7, &v) == PHOST_OK);  // any non-zero is true
  Ref bool_v(v);
  int32_t b = 0;
  CHECK(a.value_kind(bool_v.get()) == PHOST_BOOL);
  REQUIRE(a.value_get_bool(bool_v.get(), &b) == PHOST_OK);
  CHECK(b == 1);

  for (int64_t i : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    Ref iv = int_value(i);
    CHECK(a.value_kind(iv.get()) == PHOST_INT);
    CHECK(get_int(iv.get()) == i);
  }

  REQUIRE(a.value_double(-2.5e-300, &v) == PHOST_OK);
  Ref double_v(v);
  double d = 0;
  CHECK(a.value_kind(double_v.get()) == PHOST_DOUBLE);
  REQUIRE(a.value_get_double(double_v.get(), &d) == PHOST_OK);
  CHECK(d == -2.5e-300);
  Ref big = int_value(1ll << 53);  // get_double also reads an int
  REQUIRE(a.value_get_double(big.get(), &d) == PHOST_OK);
  CHECK(d == 9007199254740992.0);

  const std::string text("h\xC3\xA9llo \xF0\x9F\x98\x80 with a NUL\0inside", 30);
  Ref string_v = str_value(text);
  CHECK(a.value_kind(string_v.get()) == PHOST_STRING);
  CHECK(get_string(string_v.get()) == text);

  const std::string raw("\x00\xFF\xC0\x80 not UTF-8", 14);
  REQUIRE(a.value_bytes(S(raw), &v) == PHOST_OK);  // bytes are not checked
  Ref bytes_v(v);
  CHECK(a.value_kind(bytes_v.get()) == PHOST_BYTES);
  CHECK(get_string(bytes_v.get()) == raw);

  REQUIRE(a.value_array(2, &v) == PHOST_OK);
  Ref array(v);
  REQUIRE(a.value_push(array.get(), int_value(1).release()) == PHOST_OK);
  REQUIRE(a.value_push(array.get(), str_value("two").release()) == PHOST_OK);
  REQUIRE(a.value_push(array.get(), str_value("three").release()) == PHOST_OK);  // past capacity
  CHECK(a.value_kind(array.get()) == PHOST_ARRAY);
  REQUIRE(a.value_len(array.get()) == 3);
  CHECK(get_int(a.value_at(array.get(), 0, nullptr)) == 1);
  phost_str key{"x", 1};
  CHECK(get_string(a.value_at(array.get(), 2, &key)) == "three");
  CHECK(V(key).empty());  // arrays have no keys
  CHECK(a.value_at(array.get(), 3, nullptr) == nullptr);

  REQUIRE(a.value_object(0, &v) == PHOST_OK);
  Ref object(v);
  REQUIRE(a.value_set(object.get(), S("zeta"), int_value(1).release()) == PHOST_OK);
  REQUIRE(a.value_set(object.get(), S("alpha"), int_value(2).release()) == PHOST_OK);
  REQUIRE(a.value_set(object.get(), S("zeta"), int_value(3).release()) == PHOST_OK);  // replaced in place
  CHECK(a.value_kind(object.get()) == PHOST_OBJECT);
  REQUIRE(a.value_len(object.get()) == 2);
  CHECK(get_int(a.value_at(object.get(), 0, &key)) == 3);
  CHECK(V(key) == "zeta");  // insertion order kept
  CHECK(get_int(a.value_at(object.get(), 1, &key)) == 2);
  CHECK(V(key) == "alpha");
  CHECK(get_int(field(object.get(), "alpha")) == 2);
  CHECK(field(object.get(), "ALPHA") == nullptr);  // keys are case-sensitive
  CHECK(field(object.get(), "missing") == nullptr);
  CHECK(to_json(object.get()) == R"({"zeta":3,"alpha":2})");
}

TEST_CASE("a large object finds and replaces every key") {
  const phost_api& a = api();
  phost_value* v = nullptr;
  REQUIRE(a.value_object(0, &v) == PHOST_OK);
  Ref object(v);
  for (int i = 0; i < 1000; ++i)
    REQUIRE(a.value_set(object.get(), S("k" + std::to_string(i)), int_value(i).release()) == PHOST_OK);
  REQUIRE(a.value_set(object.get(), S("k500"), int_value(-500).release()) == PHOST_OK);
  REQUIRE(a.value_len(object.get()) == 1000);
  for (int i = 0; i < 1000; ++i) CHECK(get_int(field(object.get(), "k" + std::to_string(i))) == (i == 500 ? -500 : i));
  phost_str key{};
  CHECK(get_int(a.value_at(object.get(), 500, &key)) == -500);
  CHECK(V(key) == "k500");
}

TEST_CASE("reading a value as another kind is PHOST_E_TYPE") {
  const phost_api& a = api();
  Ref s = str_value("text");
  int64_t i = 0;
  int32_t b = 0;
  double d = 0;
  CHECK(a.value_get_int(s.get(), &i) == PHOST_E_TYPE);
  Err e = last_error();
  CHECK(e.status == PHOST_E_TYPE);
  CHECK(e.code == 400);
  CHECK(e.message == "value is not an int");
  CHECK(a.value_get_bool(s.get(), &b) == PHOST_E_TYPE);
  CHECK(a.value_get_double(s.get(), &d) == PHOST_E_TYPE);
  Ref n = int_value(1);
  phost_str str{};
  CHECK(a.value_get_str(n.get(), &str) == PHOST_E_TYPE);
  CHECK(last_error().message == "value is not a string or bytes");
  CHECK(a.value_len(n.get()) == 0);
  CHECK(a.value_at(n.get(), 0, nullptr) == nullptr);
  CHECK(a.value_find(n.get(), S("k")) == nullptr);
}

TEST_CASE("null, bools and ints on both sides of the inline range read back exactly, alone and inside containers") {
  // Small scalars live in the handle itself (value.hpp): the edges of that
  // range, and the ints just past it (nodes), must all behave the same.
  const phost_api& a = api();
  constexpr int64_t kEdge = int64_t{1} << 60;
  const int64_t ints[] = {0, 1, -1, kEdge - 1, kEdge, -kEdge, -kEdge - 1, std::numeric_limits<int64_t>::min(),
                          std::numeric_limits<int64_t>::max(), int64_t{1} << 53, -(int64_t{1} << 59)};
  phost_value* v = nullptr;
  REQUIRE(a.value_array(0, &v) == PHOST_OK);
  Ref array(v);
  REQUIRE(a.value_object(0, &v) == PHOST_OK);
  Ref object(v);
  std::string expect_json = "[";
  for (int64_t i : ints) {
    Ref iv = int_value(i);
    CHECK(a.value_kind(iv.get()) == PHOST_INT);
    CHECK(get_int(iv.get()) == i);
    double d = 0;
    REQUIRE(a.value_get_double(iv.get(), &d) == PHOST_OK);
    CHECK(d == static_cast<double>(i));
    int32_t b = 0;
    CHECK(a.value_get_bool(iv.get(), &b) == PHOST_E_TYPE);
    CHECK(a.value_len(iv.get()) == 0);
    CHECK(a.value_at(iv.get(), 0, nullptr) == nullptr);
    CHECK(a.value_push(iv.get(), int_value(2).release()) == PHOST_E_TYPE);
    CHECK(last_error().message == "value_push: container is not an array");
    for (int k = 0; k < 3; ++k) a.value_retain(iv.get());  // extra references: released below
    for (int k = 0; k < 3; ++k) a.value_release(iv.get());
    CHECK(get_int(iv.get()) == i);
    CHECK(to_json(iv.get()) == std::to_string(i));
    REQUIRE(a.value_push(array.get(), iv.get()) == PHOST_OK);
    a.value_retain(iv.get());  // the array took one reference, Ref still holds its own
    REQUIRE(a.value_set(object.get(), S(std::to_string(i)), int_value(i).release()) == PHOST_OK);
    expect_json += (expect_json.size() > 1 ? "," : "") + std::to_string(i);
  }
  REQUIRE(a.value_len(array.get()) == std::size(ints));
  for (size_t k = 0; k < std::size(ints); ++k) {
    CHECK(get_int(a.value_at(array.get(), k, nullptr)) == ints[k]);
    CHECK(get_int(a.value_find(object.get(), S(std::to_string(ints[k])))) == ints[k]);
  }
  CHECK(to_json(array.get()) == expect_json + "]");
  Ref parsed = json(expect_json + "]");
  for (size_t k = 0; k < std::size(ints); ++k) CHECK(get_int(a.value_at(parsed.get(), k, nullptr)) == ints[k]);

  Ref constants = json("[null, false, true]");
  CHECK(a.value_kind(a.value_at(constants.get(), 0, nullptr)) == PHOST_NULL);
  int32_t b = -1;
  REQUIRE(a.value_get_bool(a.value_at(constants.get(), 1, nullptr), &b) == PHOST_OK);
  CHECK(b == 0);
  REQUIRE(a.value_get_bool(a.value_at(constants.get(), 2, nullptr), &b) == PHOST_OK);
  CHECK(b == 1);
  int64_t i = 0;
  CHECK(a.value_get_int(a.value_at(constants.get(), 2, nullptr), &i) == PHOST_E_TYPE);
  CHECK(last_error().message == "value is not an int");
  REQUIRE(a.value_bool(0, &v) == PHOST_OK);
  Ref false_v(v);
  CHECK(a.value_set(false_v.get(), S("k"), int_value(1).release()) == PHOST_E_TYPE);
  CHECK(last_error().message == "value_set: container is not an object");
  CHECK(to_json(false_v.get()) == "false");
}

TEST_CASE("NaN and infinities are refused") {
  phost_value* v = nullptr;
  for (double d : {std::nan(""), std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    CHECK(api().value_double(d, &v) == PHOST_E_INVALID_ARG);
    CHECK(v == nullptr);
    CHECK(last_error().code == 400);
  }
}

TEST_CASE("invalid UTF-8 is refused in strings and keys") {
  const phost_api& a = api();
  const char* bad[] = {
      "\x80",              // lone continuation byte
      "\xC0\x80",          // overlong NUL
      "\xE0\x80\xAF",      // overlong '/'
      "\xED\xA0\x80",      // UTF-16 surrogate
      "\xF4\x90\x80\x80",  // past U+10FFFF
      "\xE2\x82",          // truncated
      "ok\xFF",            // never valid
  };
  for (const char* s : bad) {
    CAPTURE(s);
    phost_value* v = nullptr;
    CHECK(a.value_string(S(s), &v) == PHOST_E_INVALID_ARG);
    CHECK(v == nullptr);
    const Err e = last_error();
    CHECK(e.code == 400);
    CHECK(e.message == "string is not valid UTF-8");
  }
  phost_value* v = nullptr;
  REQUIRE(a.value_string(S("\xF4\x8F\xBF\xBF \xE2\x82\xAC \xC2\xA9"), &v) == PHOST_OK);  // U+10FFFF, euro, (c)
  a.value_release(v);
  // At every place in and around the short inline check and the 8-byte ASCII steps.
  for (size_t at = 0; at < 40; ++at) {
    CAPTURE(at);
    for (const std::string_view inserted : {std::string_view("\xE2\x82"), std::string_view("\x80")}) {
      const std::string text = std::string(at, 'a') + std::string(inserted) + std::string(40 - at, 'b');
      CHECK(a.value_string(S(text), &v) == PHOST_E_INVALID_ARG);
    }
    const std::string euro = std::string(at, 'a') + "\xE2\x82\xAC" + std::string(40 - at, 'b');
    REQUIRE(a.value_string(S(euro), &v) == PHOST_OK);
    a.value_release(v);
  }

  REQUIRE(a.value_object(0, &v) == PHOST_OK);
  Ref object(v);
  CHECK(a.value_set(object.get(), S("\xC0\x80"), int_value(1).release()) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value_set: key is not valid UTF-8");
  CHECK(a.value_len(object.get()) == 0);
}

TEST_CASE("a shared value is frozen and refuses mutation") {
  const phost_api& a = api();
  phost_value* v = nullptr;
  REQUIRE(a.value_array(0, &v) == PHOST_OK);
  Ref array(v);
  REQUIRE(a.value_push(array.get(), int_value(1).release()) == PHOST_OK);

  a.value_retain(array.get());  // now shared
  Ref second(array.get());
  CHECK(a.value_push(array.get(), int_value(2).release()) == PHOST_E_INVALID_ARG);
  const Err e = last_error();
  CHECK(e.code == 400);
  CHECK(e.message == "value_push: value is shared (frozen); build it before passing it on");
  CHECK(a.value_len(array.get()) == 1);

  REQUIRE(a.value_object(0, &v) == PHOST_OK);
  Ref object(v);
  a.value_retain(object.get());
  Ref object2(object.get());
  CHECK(a.value_set(object.get(), S("k"), int_value(2).release()) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value_set: value is shared (frozen); build it before passing it on");

  // A value that went through a call comes back shared with the handler's copy.
  HostPtr host = make_host();
  Ref cached = json("[1,2]");
  must_add(host.get(), "app.cached", [&](phost_call_ctx*, const phost_value*, phost_value** out) {
    api().value_retain(cached.get());
    *out = cached.get();
    return PHOST_OK;
  });
  Outcome o = call(host.get(), "app.cached");
  REQUIRE(o.status == PHOST_OK);
  CHECK(a.value_push(o.value.get(), int_value(3).release()) == PHOST_E_INVALID_ARG);
  CHECK(a.value_push(cached.get(), int_value(3).release()) == PHOST_E_INVALID_ARG);
  CHECK(to_json(cached.get()) == "[1,2]");
}

TEST_CASE("an item put inside another value is frozen, so the container cannot change through it") {
  const phost_api& a = api();
  phost_value* v = nullptr;
  REQUIRE(a.value_object(0, &v) == PHOST_OK);
  phost_value* item = v;  // borrowed once pushed
  REQUIRE(a.value_array(1, &v) == PHOST_OK);
  Ref array(v);
  REQUIRE(a.value_push(array.get(), item) == PHOST_OK);
  CHECK(a.value_set(item, S("k"), int_value(1).release()) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value_set: value is shared (frozen); build it before passing it on");
  CHECK(to_json(array.get()) == "[{}]");
}

TEST_CASE("a value that was retained stays frozen after the extra reference is released") {
  const phost_api& a = api();
  phost_value* v = nullptr;
  REQUIRE(a.value_array(0, &v) == PHOST_OK);
  Ref array(v);
  a.value_retain(array.get());
  a.value_release(array.get());  // back to one reference, but it was shared
  CHECK(a.value_push(array.get(), int_value(1).release()) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value_push: value is shared (frozen); build it before passing it on");
  CHECK(a.value_len(array.get()) == 0);
}

TEST_CASE("a value cannot be made to contain itself, directly or through another") {
  const phost_api& a = api();
  phost_value* v = nullptr;
  // The push takes the only reference, so the refused value is released (the
  // sanitizer runs see it freed; a cycle would have leaked it).
  REQUIRE(a.value_array(0, &v) == PHOST_OK);
  CHECK(a.value_push(v, v) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value_push: a value cannot contain itself");
  REQUIRE(a.value_object(0, &v) == PHOST_OK);
  CHECK(a.value_set(v, S("me"), v) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value_set: a value cannot contain itself");

  // outer holds inner; inner, now frozen, cannot take outer back.
  REQUIRE(a.value_array(0, &v) == PHOST_OK);
  Ref outer(v);
  REQUIRE(a.value_array(0, &v) == PHOST_OK);
  phost_value* inner = v;
  REQUIRE(a.value_push(outer.get(), inner) == PHOST_OK);
  a.value_retain(outer.get());
  CHECK(a.value_push(inner, outer.get()) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value_push: value is shared (frozen); build it before passing it on");
  CHECK(to_json(outer.get()) == "[[]]");
}

TEST_CASE("value_set replaces only its own key when one item sits under two keys") {
  const phost_api& a = api();
  // 2 keys: linear lookup; 20 keys: the object has built its index.
  for (const int extra : {0, 18}) {
    CAPTURE(extra);
    phost_value* v = nullptr;
    REQUIRE(a.value_object(0, &v) == PHOST_OK);
    Ref object(v);
    Ref shared = int_value(7);
    a.value_retain(shared.get());
    REQUIRE(a.value_set(object.get(), S("a"), shared.get()) == PHOST_OK);
    a.value_retain(shared.get());
    REQUIRE(a.value_set(object.get(), S("b"), shared.get()) == PHOST_OK);
    for (int i = 0; i < extra; ++i)
      REQUIRE(a.value_set(object.get(), S("k" + std::to_string(i)), int_value(i).release()) == PHOST_OK);

    REQUIRE(a.value_set(object.get(), S("b"), int_value(9).release()) == PHOST_OK);
    CHECK(get_int(field(object.get(), "a")) == 7);
    CHECK(get_int(field(object.get(), "b")) == 9);
    REQUIRE(a.value_set(object.get(), S("a"), int_value(1).release()) == PHOST_OK);
    CHECK(get_int(field(object.get(), "a")) == 1);
    CHECK(get_int(field(object.get(), "b")) == 9);
    CHECK(a.value_len(object.get()) == size_t(2 + extra));
    phost_str key{};
    CHECK(get_int(a.value_at(object.get(), 0, &key)) == 1);
    CHECK(V(key) == "a");
    CHECK(get_int(a.value_at(object.get(), 1, &key)) == 9);
    CHECK(V(key) == "b");
    shared.reset();  // the only reference left: no leak, no double release
  }
}

TEST_CASE("pushing into something that is not a container fails and releases the item") {
  const phost_api& a = api();
  Ref s = str_value("scalar");
  CHECK(a.value_push(s.get(), int_value(1).release()) == PHOST_E_TYPE);
  CHECK(last_error().message == "value_push: container is not an array");
  CHECK(a.value_set(s.get(), S("k"), int_value(1).release()) == PHOST_E_TYPE);
  CHECK(last_error().message == "value_set: container is not an object");
  phost_value* v = nullptr;
  REQUIRE(a.value_array(0, &v) == PHOST_OK);
  Ref array(v);
  CHECK(a.value_push(array.get(), nullptr) == PHOST_E_INVALID_ARG);
  CHECK(a.value_push(nullptr, int_value(1).release()) == PHOST_E_INVALID_ARG);
  // The released items are checked by the sanitizer and valgrind runs (no leak).
}

TEST_CASE("value_array_of and value_object_of build what push and set build, in one call") {
  const phost_api& a = api();
  phost_value* v = nullptr;
  Ref inner = json("[1]");
  phost_value* items[] = {int_value(1).release(), str_value("two").release(), inner.get(), json("null").release()};
  a.value_retain(inner.get());
  REQUIRE(a.value_array_of(items, 4, &v) == PHOST_OK);
  Ref array(v);
  CHECK(to_json(array.get()) == R"([1,"two",[1],null])");
  // The items are frozen; the array is not.
  CHECK(a.value_push(inner.get(), int_value(2).release()) == PHOST_E_INVALID_ARG);
  CHECK(a.value_push(array.get(), int_value(5).release()) == PHOST_OK);
  CHECK(a.value_len(array.get()) == 5);

  REQUIRE(a.value_array_of(nullptr, 0, &v) == PHOST_OK);
  Ref empty(v);
  CHECK(to_json(empty.get()) == "[]");
  REQUIRE(a.value_object_of(nullptr, nullptr, 0, &v) == PHOST_OK);
  Ref empty_object(v);
  CHECK(to_json(empty_object.get()) == "{}");

  // A repeated key keeps its first place and takes the later item, as
  // value_set does; with 3 keys by a linear search, with 40 by the index.
  for (const int extra : {0, 37}) {
    CAPTURE(extra);
    std::vector<std::string> names = {"a", "b", "a"};
    for (int i = 0; i < extra; ++i) names.push_back("k" + std::to_string(i % 30));
    std::vector<phost_str> keys;
    std::vector<phost_value*> values;
    for (size_t i = 0; i < names.size(); ++i) {
      keys.push_back(S(names[i]));
      values.push_back(int_value(int64_t(i)).release());
    }
    REQUIRE(a.value_object_of(keys.data(), values.data(), keys.size(), &v) == PHOST_OK);
    Ref object(v);
    CHECK(a.value_len(object.get()) == size_t(2 + std::min(extra, 30)));
    phost_str key{};
    CHECK(get_int(a.value_at(object.get(), 0, &key)) == 2);
    CHECK(V(key) == "a");
    CHECK(get_int(a.value_at(object.get(), 1, &key)) == 1);
    CHECK(V(key) == "b");
    if (extra) {
      CHECK(get_int(field(object.get(), "k0")) == 33);  // "k0" came at 3 and again at 33
      CHECK(get_int(field(object.get(), "k29")) == 32);
    }
    CHECK(a.value_set(object.get(), S("z"), int_value(1).release()) == PHOST_OK);  // not frozen
  }
}

TEST_CASE("value_array_of and value_object_of refuse bad input, and release every item") {
  const phost_api& a = api();
  phost_value* v = reinterpret_cast<phost_value*>(uintptr_t{8});
  // The released items are checked by the sanitizer and valgrind runs (no leak).
  phost_value* with_null[] = {str_value("x").release(), nullptr, str_value("y").release()};
  CHECK(a.value_array_of(with_null, 3, &v) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value_array_of: item 1 is NULL");
  CHECK(v == nullptr);
  phost_value* two[] = {str_value("x").release(), str_value("y").release()};
  CHECK(a.value_array_of(two, 2, nullptr) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "out is NULL");
  v = reinterpret_cast<phost_value*>(uintptr_t{8});
  CHECK(a.value_array_of(nullptr, 2, &v) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "items is NULL with n = 2");
  CHECK(v == nullptr);  // *out is cleared on every failure, as by the other constructors

  const std::string bad_utf8 = "b\xff";
  const phost_str keys[] = {S("a"), S(bad_utf8)};
  phost_value* pair[] = {str_value("x").release(), str_value("y").release()};
  CHECK(a.value_object_of(keys, pair, 2, &v) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value_object_of: key 1 is not valid UTF-8");
  const phost_str null_key[] = {S("a"), phost_str{nullptr, 3}};
  phost_value* pair2[] = {str_value("x").release(), str_value("y").release()};
  CHECK(a.value_object_of(null_key, pair2, 2, &v) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value_object_of: key 1 is NULL with a length of 3");
  phost_value* pair3[] = {str_value("x").release(), str_value("y").release()};
  CHECK(a.value_object_of(nullptr, pair3, 2, &v) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value_object_of: keys is NULL");
  const phost_str good[] = {S("a"), S("b")};
  phost_value* pair4[] = {str_value("x").release(), nullptr};
  CHECK(a.value_object_of(good, pair4, 2, &v) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value_object_of: item 1 is NULL");
}

TEST_CASE("the SDK's array_of and object_of build the same by push and set on a host older than ABI 1.5") {
  phost_api older;
  std::memcpy(&older, phost_get_api(PHOST_ABI_MAJOR), sizeof older);
  for (const uint32_t size : {uint32_t(sizeof older), uint32_t(offsetof(phost_api, value_array_of))}) {
    CAPTURE(size);
    older.struct_size = size;
    struct Table {  // the SDK's table, this host's again at the end
      const phost_api* saved = phost::api_slot();
      explicit Table(const phost_api* t) { phost::api_slot() = t; }
      ~Table() { phost::api_slot() = saved; }
    } const table(&older);

    phost_value* items[] = {phost::Value::integer(1).release(), phost::Value::string("two").release()};
    CHECK(to_json(phost::Value::array_of(items, 2).get()) == R"([1,"two"])");
    const phost_str keys[] = {S("a"), S("b"), S("a")};
    phost_value* values[] = {phost::Value::integer(1).release(), phost::Value::integer(2).release(),
                             phost::Value::integer(3).release()};
    CHECK(to_json(phost::Value::object_of(keys, values, 3).get()) == R"({"a":3,"b":2})");
    // A NULL item fails as the host says; the other references are released
    // (the sanitizer runs would see a leak).
    phost_value* with_null[] = {phost::Value::string("x").release(), nullptr, phost::Value::string("y").release()};
    CHECK_THROWS_AS(phost::Value::array_of(with_null, 3), phost::Error);
    // Missing lists and a NULL key with a length are refused, never read.
    CHECK_THROWS_WITH_AS(phost::Value::array_of(nullptr, 2), "items is NULL with n = 2", phost::Error);
    phost_value* pair[] = {phost::Value::string("x").release(), phost::Value::string("y").release()};
    CHECK_THROWS_WITH_AS(phost::Value::object_of(nullptr, pair, 2), "value_object_of: keys is NULL", phost::Error);
    const phost_str null_key[] = {S("a"), phost_str{nullptr, 3}};
    phost_value* pair2[] = {phost::Value::string("x").release(), phost::Value::string("y").release()};
    try {
      phost::Value::object_of(null_key, pair2, 2);
      FAIL("a NULL key with a length was accepted");
    } catch (const phost::Error& e) {
      CHECK(e.status() == PHOST_E_INVALID_ARG);
      CHECK(std::string(e.what()).find("NULL with a length of 3") != std::string::npos);
    }
  }
}

TEST_CASE("phost::object builds an object from key, value pairs in order, on this host and an older one") {
  const phost_api* saved = phost::api_slot();
  phost::api_slot() = phost_get_api(PHOST_ABI_MAJOR);  // the SDK's table, as a plugin's init sets it
  CHECK(to_json(phost::object().get()) == "{}");
  const std::string key = "name";
  CHECK(to_json(phost::object("x", 1, key, "two", std::string_view("z"), phost::Value::null()).get()) ==
        R"({"x":1,"name":"two","z":null})");
  CHECK(to_json(phost::object("a", 1, "b", 2, "a", 3).get()) == R"({"a":3,"b":2})");
  try {
    phost::object("ok", 1, std::string_view("\xff", 1), 2);
    FAIL("an invalid UTF-8 key was accepted");
  } catch (const phost::Error& e) {
    CHECK(e.status() == PHOST_E_INVALID_ARG);
    CHECK(std::string(e.what()).find("not valid UTF-8") != std::string::npos);
  }

  phost_api older;
  std::memcpy(&older, phost_get_api(PHOST_ABI_MAJOR), sizeof older);
  older.struct_size = uint32_t(offsetof(phost_api, value_array_of));
  phost::api_slot() = &older;
  const std::string built = to_json(phost::object("x", 1, "y", phost::args(2, 3)).get());
  phost::api_slot() = saved;
  CHECK(built == R"({"x":1,"y":[2,3]})");
}

TEST_CASE("JSON round trip keeps every kind") {
  const std::string text =
      R"({"n":null,"t":true,"f":false,"i":-42,"d":1.5,"s":"h\u00e9 \"q\" \\ \n \u0001 \ud83d\ude00",)"
      R"("a":[1,[2,[]],{}],"o":{"k":"v","":0}})";
  Ref v = json(text);
  const phost_api& a = api();
  CHECK(a.value_kind(field(v.get(), "n")) == PHOST_NULL);
  CHECK(a.value_kind(field(v.get(), "t")) == PHOST_BOOL);
  CHECK(a.value_kind(field(v.get(), "i")) == PHOST_INT);
  CHECK(a.value_kind(field(v.get(), "d")) == PHOST_DOUBLE);
  CHECK(get_string(field(v.get(), "s")) == "h\xC3\xA9 \"q\" \\ \n \x01 \xF0\x9F\x98\x80");
  CHECK(a.value_len(field(v.get(), "a")) == 3);
  CHECK(get_int(field(field(v.get(), "o"), "")) == 0);

  const std::string out = to_json(v.get());
  Ref again = json(out);
  CHECK(to_json(again.get()) == out);
  double d = 0;
  REQUIRE(a.value_get_double(field(again.get(), "d"), &d) == PHOST_OK);
  CHECK(d == 1.5);
  CHECK(get_string(field(again.get(), "s")) == get_string(field(v.get(), "s")));

  CHECK(to_json(json("[]").get()) == "[]");
  CHECK(to_json(json("{}").get()) == "{}");
  CHECK(to_json(json(" \"x\" ").get()) == "\"x\"");
  CHECK(to_json(json("null").get()) == "null");
}

TEST_CASE("int64 extremes stay integers through JSON") {
  const phost_api& a = api();
  Ref max = json("9223372036854775807");
  CHECK(a.value_kind(max.get()) == PHOST_INT);
  CHECK(get_int(max.get()) == std::numeric_limits<int64_t>::max());
  CHECK(to_json(max.get()) == "9223372036854775807");

  Ref min = json("-9223372036854775808");
  CHECK(a.value_kind(min.get()) == PHOST_INT);
  CHECK(get_int(min.get()) == std::numeric_limits<int64_t>::min());
  CHECK(to_json(min.get()) == "-9223372036854775808");

  Ref built = int_value(std::numeric_limits<int64_t>::max());
  CHECK(to_json(built.get()) == "9223372036854775807");

  // Past int64: a double, documented as such.
  Ref past = json("9223372036854775808");
  CHECK(a.value_kind(past.get()) == PHOST_DOUBLE);
  Ref fraction = json("[1.0, 2e3, -0.5]");
  CHECK(a.value_kind(a.value_at(fraction.get(), 0, nullptr)) == PHOST_DOUBLE);
}

// Found by tests/fuzz/fuzz_json: Boost.JSON 1.81 read some doubles an ULP off,
// so a value's own JSON read back as another value.
TEST_CASE("doubles read from JSON are correctly rounded, so their JSON reads back the same") {
  const std::pair<const char*, double> cases[] = {
      {"87777777777777777777777777777777777378738811833887375", 8.7777777777777775e+52},
      {"8.777777777777777e+52", 8.7777777777777775e+52},
      {"2.2250738585072011e-308", 2.2250738585072011e-308},
      {"4.9e-324", 4.9406564584124654e-324},
      {"1.7976931348623157e308", 1.7976931348623157e308},
      {"0.1", 0.1},
      {"18446744073709551616", 18446744073709551616.0},
      {"-0.0", -0.0},
      {"1e-400", 0.0},
      {"-1e-400", -0.0}};  // below the smallest denormal: zero, sign kept
  for (const auto& [text, expected] : cases) {
    CAPTURE(text);
    Ref v = json(text);
    REQUIRE(api().value_kind(v.get()) == PHOST_DOUBLE);
    double d = 0;
    REQUIRE(api().value_get_double(v.get(), &d) == PHOST_OK);
    CHECK(std::memcmp(&d, &expected, sizeof d) == 0);
    Ref back = json(to_json(v.get()));
    double again = 0;
    REQUIRE(api().value_get_double(back.get(), &again) == PHOST_OK);
    CHECK(std::memcmp(&d, &again, sizeof d) == 0);
  }
}

// Found by tests/fuzz/fuzz_json: 1e400 became an infinity (not a value), written as "inf.0".
TEST_CASE("JSON numbers past the double range are refused") {
  for (const char* text : {"1e400", "-1E400", "[1.7976931348623159e308]", "{\"a\":2e308}"}) {
    CAPTURE(text);
    phost_value* v = nullptr;
    CHECK(api().value_from_json(S(text), &v) == PHOST_E_INVALID_ARG);
    CHECK(v == nullptr);
    const Err e = last_error();
    CHECK(e.code == 400);
    CHECK(e.message.find("out of the double range") != std::string::npos);
  }
}

TEST_CASE("bytes are written to JSON as base64") {
  const std::pair<std::string, std::string> vectors[] = {  // RFC 4648, section 10
      {"", "\"\""},           {"f", "\"Zg==\""},         {"fo", "\"Zm8=\""},     {"foo", "\"Zm9v\""},
      {"foob", "\"Zm9vYg==\""}, {"fooba", "\"Zm9vYmE=\""}, {"foobar", "\"Zm9vYmFy\""},
      {std::string("\x00\xFF\xFE", 3), "\"AP/+\""}};
  for (const auto& [raw, encoded] : vectors) {
    phost_value* v = nullptr;
    REQUIRE(api().value_bytes(S(raw), &v) == PHOST_OK);
    Ref bytes(v);
    CHECK(to_json(bytes.get()) == encoded);
  }
}

TEST_CASE("invalid JSON is refused with a message") {
  const char* bad[] = {"", "{", "[1,]", "nul", "1 2", "{\"a\" 1}", "'single'", "[\"\xC0\x80\"]", "NaN"};
  for (const char* text : bad) {
    CAPTURE(text);
    phost_value* v = nullptr;
    CHECK(api().value_from_json(S(text), &v) == PHOST_E_INVALID_ARG);
    CHECK(v == nullptr);
    const Err e = last_error();
    CHECK(e.code == 400);
    CHECK(e.message.rfind("invalid JSON: ", 0) == 0);
    CHECK(e.message.size() > std::strlen("invalid JSON: "));
  }
}

TEST_CASE("duplicate JSON keys leave one entry") {
  Ref v = json(R"({"a":1,"b":2,"a":3})");
  CHECK(api().value_len(v.get()) == 2);
  const int64_t a = get_int(field(v.get(), "a"));
  CHECK((a == 1 || a == 3));
}

TEST_CASE("JSON nested a hundred thousand deep is refused without a crash") {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  phost_value* v = nullptr;
  CHECK(api().value_from_json(S(deep), &v) == PHOST_E_LIMIT);
  CHECK(v == nullptr);
  const Err e = last_error();
  CHECK(e.code == 413);
  CHECK(e.message == "JSON nests deeper than 512");

  // The limit is 512 levels below the top: 513 nested arrays in all.
  std::string edge = std::string(513, '[') + std::string(513, ']');
  Ref ok = json(edge);
  CHECK(to_json(ok.get()) == edge);
  edge = "[" + edge + "]";
  CHECK(api().value_from_json(S(edge), &v) == PHOST_E_LIMIT);
  std::string objects;  // deep objects as well
  for (int i = 0; i < 600; ++i) objects += "{\"k\":";
  objects += "0" + std::string(600, '}');
  CHECK(api().value_from_json(S(objects), &v) == PHOST_E_LIMIT);
}

TEST_CASE("a value nested a million deep is released without overflowing the stack") {
  const phost_api& a = api();
  phost_value* inner = nullptr;
  REQUIRE(a.value_array(0, &inner) == PHOST_OK);
  for (int i = 0; i < 1000000; ++i) {
    phost_value* outer = nullptr;
    REQUIRE(a.value_array(1, &outer) == PHOST_OK);
    REQUIRE(a.value_push(outer, inner) == PHOST_OK);
    inner = outer;
  }
  Ref deep(inner);
  std::string out;
  CHECK(a.value_to_json(deep.get(), [](void*, phost_str) {}, &out) == PHOST_E_LIMIT);
  const Err e = last_error();
  CHECK(e.code == 413);
  CHECK(e.message == "value nests deeper than 512");

  // It may still cross a call: nothing walks it there.
  HostPtr host = make_host();
  must_add(host.get(), "app.first", [](phost_call_ctx*, const phost_value* args, phost_value** out_value) {
    const phost_value* first = api().value_at(args, 0, nullptr);
    api().value_retain(first);
    *out_value = const_cast<phost_value*>(first);
    return PHOST_OK;
  });
  phost_value* args = nullptr;
  REQUIRE(a.value_array(1, &args) == PHOST_OK);
  REQUIRE(a.value_push(args, deep.release()) == PHOST_OK);
  Ref args_ref(args);
  Outcome o = call(host.get(), "app.first", args_ref.get());
  REQUIRE(o.status == PHOST_OK);
  CHECK(a.value_len(o.value.get()) == 1);
  args_ref.reset();
  o.value.reset();  // the last reference: a million levels freed here
}

TEST_CASE("a 50 MB string survives a JSON round trip") {
  std::string big(50u << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big.replace(i, 4, "\xE2\x82\xAC\"");  // euro sign and a quote
  Ref v = str_value(big);
  const std::string text = to_json(v.get());
  CHECK(text.size() > big.size());
  Ref back = json(text);
  phost_str s{};
  REQUIRE(api().value_get_str(back.get(), &s) == PHOST_OK);
  CHECK(s.len == big.size());
  CHECK(V(s) == big);
}

TEST_CASE("a JSON array of ten million elements parses or fails cleanly") {
  std::string text;
  text.reserve(20'000'002);
  text += '[';
  for (int i = 0; i < 10'000'000; ++i) {
    if (i) text += ',';
    text += static_cast<char>('0' + i % 10);
  }
  text += ']';
  phost_value* v = nullptr;
  const phost_status status = api().value_from_json(S(text), &v);
  Ref array(v);
  if (status == PHOST_OK) {
    REQUIRE(api().value_len(array.get()) == 10'000'000);
    CHECK(get_int(api().value_at(array.get(), 9'999'999, nullptr)) == 9);
  } else {
    INFO(last_error());
    CHECK((status == PHOST_E_LIMIT || status == PHOST_E_NO_MEMORY));
    CHECK(v == nullptr);
  }
}

TEST_CASE("the last error is cleared by the next success") {
  phost_value* v = nullptr;
  REQUIRE(api().value_from_json(S("{"), &v) == PHOST_E_INVALID_ARG);
  CHECK(last_error().status == PHOST_E_INVALID_ARG);
  REQUIRE(api().value_from_json(S("1"), &v) == PHOST_OK);
  api().value_release(v);
  const Err e = last_error();
  CHECK(e.status == PHOST_OK);
  CHECK(e.code == 0);
  CHECK(e.message.empty());
}

// Releasing a tree walks it with an array on the stack and a vector past 32
// pending nodes (value.cpp): items still referenced elsewhere survive both.
TEST_CASE("releasing wide and deep trees frees only what nothing else holds") {
  const phost_api& a = api();
  for (const int width : {3, 40, 2000}) {
    Ref kept = json(R"({"k":[1,2,3]})");
    phost_value* root = nullptr;
    REQUIRE(a.value_array(0, &root) == PHOST_OK);
    for (int i = 0; i < width; ++i) {
      phost_value* row = nullptr;
      REQUIRE(a.value_array(0, &row) == PHOST_OK);
      REQUIRE(a.value_push(row, str_value("s" + std::to_string(i)).release()) == PHOST_OK);
      if (i == width / 2) {
        a.value_retain(kept.get());
        REQUIRE(a.value_push(row, kept.get()) == PHOST_OK);
      }
      REQUIRE(a.value_push(root, row) == PHOST_OK);
    }
    phost_value* chain = json("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]").release();
    REQUIRE(a.value_push(root, chain) == PHOST_OK);
    CHECK(a.value_len(root) == size_t(width) + 1);
    a.value_release(root);
    CHECK(to_json(kept.get()) == R"({"k":[1,2,3]})");
  }
}

}  // TEST_SUITE
