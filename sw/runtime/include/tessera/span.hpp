// SPDX-License-Identifier: Apache-2.0
// A minimal non-owning view of contiguous elements, standing in for std::span in C++17.
#pragma once

// The project builds as C++17 (CMAKE_CXX_STANDARD 17), which has no std::span. Span<T>
// offers the subset of std::span<T> (dynamic extent) the host APIs need, with the same
// conversions: from a (pointer, count) pair, from any contiguous container that has
// data() and size() (std::vector, std::array, C arrays, another Span), and from an rvalue
// container only when the elements are const. When the project moves to C++20 it can
// become `template <typename T> using Span = std::span<T>;`.

#include <cstddef>
#include <iterator>
#include <type_traits>

namespace tessera {

template <typename T>
class Span {
  template <typename C>
  using ElemOf = std::remove_pointer_t<decltype(std::data(std::declval<C&>()))>;

 public:
  using element_type = T;
  using value_type = std::remove_cv_t<T>;
  using size_type = std::size_t;
  using iterator = T*;

  constexpr Span() noexcept = default;
  constexpr Span(T* data, size_type size) noexcept : data_(data), size_(size) {}

  // Any contiguous range whose elements convert by qualification only (double -> const
  // double, never float -> double); rvalue ranges only into a view of const.
  template <typename C,
            typename = std::enable_if_t<std::is_convertible_v<ElemOf<C> (*)[], T (*)[]> &&
                                        (std::is_lvalue_reference_v<C> || std::is_const_v<T>)>>
  constexpr Span(C&& c) noexcept  // NOLINT(google-explicit-constructor): as std::span
      : data_(std::data(c)), size_(std::size(c)) {}

  constexpr T* data() const noexcept { return data_; }
  constexpr size_type size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr T& operator[](size_type i) const noexcept { return data_[i]; }
  constexpr iterator begin() const noexcept { return data_; }
  constexpr iterator end() const noexcept { return data_ + size_; }

 private:
  T* data_ = nullptr;
  size_type size_ = 0;
};

}  // namespace tessera
