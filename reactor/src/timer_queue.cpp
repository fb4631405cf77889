#include "chatframe/reactor/timer_queue.hpp"

namespace chatframe::reactor {

timer::~timer() {
  if (queue_ != nullptr) queue_->cancel(*this);
}

timer_queue::~timer_queue() {
  for (entry& e : heap_) e.t->queue_ = nullptr;
}

void timer_queue::place(std::size_t i, entry e) noexcept {
  heap_[i] = e;
  e.t->index_ = i;
}

void timer_queue::sift_up(std::size_t i) noexcept {
  const entry e = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!(e.key < heap_[parent].key)) break;
    place(i, heap_[parent]);
    ++stats_.sifts;
    i = parent;
  }
  place(i, e);
}

void timer_queue::sift_down(std::size_t i) noexcept {
  const entry e = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1].key < heap_[child].key) ++child;
    if (!(heap_[child].key < e.key)) break;
    place(i, heap_[child]);
    ++stats_.sifts;
    i = child;
  }
  place(i, e);
}

void timer_queue::remove_at(std::size_t i) noexcept {
  timer* gone = heap_[i].t;
  const entry last = heap_.back();
  heap_.pop_back();
  gone->queue_ = nullptr;
  if (i == heap_.size()) return;  // it was the last entry
  place(i, last);
  if (i > 0 && last.key < heap_[(i - 1) / 2].key) {
    sift_up(i);
  } else {
    sift_down(i);
  }
}

void timer_queue::arm(timer& t, time_point when) {
  if (t.queue_ != nullptr && t.queue_ != this) t.queue_->cancel(t);
  t.deadline_ = when;
  if (t.queue_ == this) {
    // Later (or equal): the entry's key stays, expire() postpones it when it
    // reaches the top. Earlier: the key must come down with it.
    if (when < heap_[t.index_].key) {
      heap_[t.index_].key = when;
      sift_up(t.index_);
    }
    return;
  }
  heap_.push_back({when, &t});
  t.queue_ = this;
  t.index_ = heap_.size() - 1;
  sift_up(t.index_);
}

void timer_queue::cancel(timer& t) noexcept {
  if (t.queue_ != this) return;
  remove_at(t.index_);
}

std::optional<time_point> timer_queue::next() const noexcept {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().key;
}

}  // namespace chatframe::reactor
