// chatframe/detail/ring.hpp — the outbox's queue: a FIFO that reuses its slots.
//
// Not part of the public API. std::deque allocates and frees a block every
// few elements when a queue is pushed at the back and popped at the front,
// which is exactly how an outbox is used: an echo server would allocate every
// handful of lines. This ring grows by doubling and never shrinks, so once it
// has held the most a connection queues at once, pushing and popping
// allocate nothing. A popped slot is destroyed and default-constructed at
// once, so whatever the element owned (a string's heap buffer, a producer) is
// released then, not when the slot is reused. T's default constructor must
// not throw.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace chatframe::detail {

template <class T>
class ring {
 public:
  ring() = default;
  // The ring moved from is left empty, as a new one.
  ring(ring&& other) noexcept
      : slots_(std::exchange(other.slots_, {})), capacity_(std::exchange(other.capacity_, 0)),
        head_(std::exchange(other.head_, 0)), size_(std::exchange(other.size_, 0)) {}
  ring& operator=(ring&& other) noexcept {
    if (this != &other) {
      slots_ = std::exchange(other.slots_, {});
      capacity_ = std::exchange(other.capacity_, 0);
      head_ = std::exchange(other.head_, 0);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ring(const ring&) = delete;
  ring& operator=(const ring&) = delete;
  ~ring() = default;

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  T& front() noexcept { return slots_[head_]; }
  // The last element, !empty().
  T& back() noexcept { return slots_[(head_ + size_ - 1) & mask()]; }
  // The i-th element from the front, i < size().
  T& operator[](std::size_t i) noexcept { return slots_[(head_ + i) & mask()]; }
  const T& operator[](std::size_t i) const noexcept { return slots_[(head_ + i) & mask()]; }

  // Appends a default-constructed element and returns it.
  T& emplace_back() {
    if (size_ == capacity_) grow();
    T& slot = slots_[(head_ + size_) & mask()];
    ++size_;
    return slot;
  }

  void pop_front() noexcept {
    // Destroyed and made anew rather than assigned T{}: a std::string
    // move-assigned from an empty one may keep its heap buffer.
    std::destroy_at(&slots_[head_]);
    std::construct_at(&slots_[head_]);
    head_ = (head_ + 1) & mask();
    --size_;
  }

  // The elements as they lie now, for a loop that should not reload the
  // ring's members at every step; any push, pop or growth outdates it.
  struct snapshot {
    T* slots;
    std::size_t head;
    std::size_t mask;
    T& operator[](std::size_t i) const noexcept { return slots[(head + i) & mask]; }
  };
  [[nodiscard]] snapshot snap() noexcept { return {slots_.data(), head_, mask()}; }

  // Prepends a default-constructed element and returns it.
  T& emplace_front() {
    if (size_ == capacity_) grow();
    head_ = (head_ + capacity_ - 1) & mask();
    ++size_;
    return slots_[head_];
  }

  // Removes the front element, which the caller has already brought back to
  // what T{} holds (for an element that owns nothing, a few stores instead of
  // a destructor and a constructor).
  void pop_front_reset() noexcept {
    head_ = (head_ + 1) & mask();
    --size_;
  }

  void clear() noexcept {
    while (!empty()) pop_front();
    head_ = 0;
  }

 private:
  // From a member, not slots_.size(): that divides by sizeof(T) at every access.
  [[nodiscard]] std::size_t mask() const noexcept { return capacity_ - 1; }

  // Doubles the capacity (a power of two, at least 8), moving the elements
  // to the front of the new storage in order. Out of line: it runs only when
  // the ring is full, and inlined it made every push save and restore six
  // registers for it.
  [[gnu::noinline]] void grow() {
    std::vector<T> bigger(slots_.empty() ? 8 : 2 * slots_.size());
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
    slots_ = std::move(bigger);
    capacity_ = slots_.size();
    head_ = 0;
  }

  std::vector<T> slots_;      // every slot not in [head_, head_ + size_) holds T{}
  std::size_t capacity_ = 0;  // slots_.size()
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace chatframe::detail
