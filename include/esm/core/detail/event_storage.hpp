#pragma once
/// \file esm/core/detail/event_storage.hpp
/// Internal to `esm::simulation`: how an event's callable is stored type-erased in a slot (inline
/// or on the heap), run once and destroyed; the per-type keys of the service registry; and the
/// 128-bit integer the event heap compares (time, sequence) with.

#include <new>
#include <type_traits>

namespace esm {
namespace detail {

template <class T>
inline constexpr char type_key = 0;

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 uint128; // GCC and Clang; __extension__ keeps -Wpedantic quiet
#endif

/// Type-erased event storage: operations on a callable stored in a slot's buffer.
struct event_ops {
  void (*run)(void* storage);              // invokes, then destroys (also when it throws)
  void (*destroy)(void* storage) noexcept; // destroys without invoking (cancel, teardown)
};

template <class F, bool Inline>
struct event_ops_for {
  static F& get(void* storage) noexcept {
    if constexpr (Inline) {
      return *std::launder(static_cast<F*>(storage));
    } else {
      return **static_cast<F**>(storage);
    }
  }
  static void destroy(void* storage) noexcept {
    if constexpr (Inline) {
      get(storage).~F();
    } else {
      delete *static_cast<F**>(storage);
    }
  }
  static void run(void* storage) {
    struct guard {
      void* p;
      ~guard() { destroy(p); }
    } g{storage};
    static_cast<void>(get(storage)());
  }
  static constexpr event_ops table{&run, &destroy};
};

} // namespace detail

} // namespace esm
