#include "chatframe/reactor/loop.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <system_error>
#include <utility>

namespace chatframe::reactor {
namespace {

// Backend-neutral readiness bits.
constexpr std::uint32_t ev_read = 1;
constexpr std::uint32_t ev_write = 2;
constexpr std::uint32_t ev_expt = 4;
constexpr std::uint32_t ev_close = 8;  // hang-up or error without a matching read/write

int to_ms(std::chrono::milliseconds t) {
  if (t.count() < 0) return -1;
  if (t.count() > 0x7fffffff) return 0x7fffffff;
  return static_cast<int>(t.count());
}

// The wait before `next` is due, rounded up to whole milliseconds (rounding
// down would wake a millisecond early and spin until the deadline).
std::chrono::milliseconds until(time_point now, time_point next) {
  if (next <= now) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(next - now);
}

}  // namespace

loop::loop(backend b, interest_updates u)
    : backend_(b), updates_(b == backend::epoll ? u : interest_updates::every_poll),
      now_(clock::now()) {
  if (b == backend::epoll) epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
}

loop::~loop() {
  // Destroy owned dispatchers outside of owned_ (their destructors call back
  // into del_channel), then detach the caller's.
  std::vector<std::unique_ptr<dispatcher>> doomed;
  for (auto& [p, d] : owned_) doomed.push_back(std::move(d));
  owned_.clear();
  doomed.clear();
  graveyard_.clear();
  for (auto& [fd, e] : map_) detach(e.d);
  map_.clear();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void loop::detach(dispatcher* d) noexcept { d->loop_ = nullptr; }

bool loop::refuses(int fd) const noexcept {
  return backend_ == backend::select && fd >= FD_SETSIZE;
}

std::uint64_t loop::add_channel(dispatcher* d, int fd) {
  const std::uint64_t id = next_id_++;
  map_[fd] = entry{d, id, 0};
  d->dirty_ = false;
  mark_dirty(d, fd, id);
  return id;
}

void loop::mark_dirty(dispatcher* d, int fd, std::uint64_t id) {
  if (updates_ != interest_updates::on_events || d->dirty_) return;
  d->dirty_ = true;
  dirty_.emplace_back(fd, id);
}

void loop::del_channel(dispatcher* d, int fd) noexcept {
  auto it = map_.find(fd);
  if (it != map_.end() && it->second.d == d) {
    if (epoll_fd_ >= 0 && it->second.epoll_mask != 0) {
      epoll_event ev{};
      (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, &ev);
      --watched_;
    }
    map_.erase(it);
  }
  // A closed loop-owned dispatcher may still be running one of its hooks:
  // destroy it only after the iteration.
  auto o = owned_.find(d);
  if (o != owned_.end()) {
    graveyard_.push_back(std::move(o->second));
    owned_.erase(o);
  }
}

dispatcher* loop::lookup(int fd, std::uint64_t id) const noexcept {
  auto it = map_.find(fd);
  if (it == map_.end() || it->second.id != id) return nullptr;
  return it->second.d;
}

template <class F>
void loop::dispatch(int fd, std::uint64_t id, F&& f) {
  dispatcher* d = lookup(fd, id);
  if (d == nullptr) return;  // closed (or its descriptor reused) earlier in this iteration
  guarded(d, fd, id, std::forward<F>(f));
}

template <class F>
void loop::guarded(dispatcher* d, int fd, std::uint64_t id, F&& f) {
  if (fd >= 0) mark_dirty(d, fd, id);  // an event may change what it wants next
  try {
    f(*d);
  } catch (...) {
    // asyncore.py: read()/write()/readwrite() — any exception goes to handle_error().
    if (lookup(fd, id) != d && owned_.count(d) == 0) {
      // Already closed and not owned: it may be gone; nobody to tell.
      bool in_graveyard = false;
      for (auto& g : graveyard_) in_graveyard = in_graveyard || g.get() == d;
      if (!in_graveyard) return;
    }
    try {
      d->handle_error(std::current_exception());
    } catch (...) {
      d->dispatcher::close();
    }
  }
}

void loop::reap() noexcept { graveyard_.clear(); }

void loop::close_all() {
  std::vector<std::pair<int, std::uint64_t>> all;
  for (auto& [fd, e] : map_) all.emplace_back(fd, e.id);
  for (auto& [fd, id] : all) {
    if (dispatcher* d = lookup(fd, id)) d->dispatcher::close();
  }
  reap();
}

std::error_code loop::run(std::chrono::milliseconds timeout, std::optional<std::size_t> count) {
  std::size_t left = count.value_or(0);
  while (!map_.empty() && !stop_.load(std::memory_order_relaxed)) {
    if (count) {
      if (left == 0) break;
      --left;
    }
    if (std::error_code ec = poll_once(timeout)) return ec;
  }
  return {};
}

std::error_code loop::poll_once(std::chrono::milliseconds timeout) {
  now_ = clock::now();
  if (const auto next = timers_.next()) {
    const std::chrono::milliseconds due = until(now_, *next);
    if (timeout.count() < 0 || due < timeout) timeout = due;
  }
  std::error_code ec;
  switch (backend_) {
    case backend::select: ec = poll_select(timeout); break;
    case backend::poll: ec = poll_poll(timeout); break;
    case backend::epoll: ec = poll_epoll(timeout); break;
  }
  now_ = clock::now();
  expire_timers();
  reap();
  return ec;
}

void loop::expire_timers() {
  timers_.expire(now_, [this](timer& t) {
    dispatcher* d = &static_cast<dispatcher&>(t);
    guarded(d, d->fd_, d->id_, [](dispatcher& x) { x.handle_timeout(); });
  });
}

std::error_code loop::poll_select(std::chrono::milliseconds timeout) {
  // No registered descriptor is >= FD_SETSIZE (refuses() turned it away when
  // it joined), so no FD_SET below writes past a set.
  fd_set r, w, x;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_ZERO(&x);
  int max_fd = -1;
  ready_.clear();
  for (auto& [fd, e] : map_) {
    const bool is_r = e.d->readable();
    const bool is_w = e.d->writable() && !e.d->accepting();
    if (is_r) FD_SET(fd, &r);
    if (is_w) FD_SET(fd, &w);
    if (is_r || is_w) {
      FD_SET(fd, &x);
      if (fd > max_fd) max_fd = fd;
      ready_.push_back({fd, e.id, 0});
    }
  }
  const int ms = to_ms(timeout);
  timeval tv{ms / 1000, static_cast<suseconds_t>(ms % 1000) * 1000};
  const int n = ::select(max_fd + 1, &r, &w, &x, ms < 0 ? nullptr : &tv);
  if (n < 0) {
    if (errno == EINTR) return {};
    return {errno, std::system_category()};
  }
  if (n == 0) return {};
  // asyncore.py: poll — every read, then every write, then every exception.
  for (const ready& c : ready_)
    if (FD_ISSET(c.fd, &r)) dispatch(c.fd, c.id, [](dispatcher& d) { d.handle_read_event(); });
  for (const ready& c : ready_)
    if (FD_ISSET(c.fd, &w)) dispatch(c.fd, c.id, [](dispatcher& d) { d.handle_write_event(); });
  for (const ready& c : ready_)
    if (FD_ISSET(c.fd, &x)) dispatch(c.fd, c.id, [](dispatcher& d) { d.handle_expt_event(); });
  return {};
}

void loop::readwrite(const ready& c) {
  // asyncore.py: readwrite — read, write, expt, then close on hang-up/error.
  if (c.events & ev_read) dispatch(c.fd, c.id, [](dispatcher& d) { d.handle_read_event(); });
  if (c.events & ev_write) dispatch(c.fd, c.id, [](dispatcher& d) { d.handle_write_event(); });
  if (c.events & ev_expt) dispatch(c.fd, c.id, [](dispatcher& d) { d.handle_expt_event(); });
  if (c.events & ev_close) dispatch(c.fd, c.id, [](dispatcher& d) { d.handle_close(); });
}

std::error_code loop::poll_poll(std::chrono::milliseconds timeout) {
  std::vector<pollfd> fds;
  std::vector<std::uint64_t> ids;
  fds.reserve(map_.size());
  ids.reserve(map_.size());
  for (auto& [fd, e] : map_) {
    short flags = 0;
    if (e.d->readable()) flags |= POLLIN | POLLPRI;
    if (e.d->writable() && !e.d->accepting()) flags |= POLLOUT;
    if (flags != 0) {
      fds.push_back({fd, flags, 0});
      ids.push_back(e.id);
    }
  }
  int n;
  n = ::poll(fds.data(), fds.size(), to_ms(timeout));
  if (n < 0) {
    if (errno == EINTR) return {};
    return {errno, std::system_category()};
  }
  ready_.clear();
  for (std::size_t i = 0; i < fds.size(); ++i) {
    const short re = fds[i].revents;
    if (re == 0) continue;
    std::uint32_t ev = 0;
    if (re & POLLIN) ev |= ev_read;
    if (re & POLLOUT) ev |= ev_write;
    if (re & POLLPRI) ev |= ev_expt;
    if (re & (POLLHUP | POLLERR | POLLNVAL)) ev |= ev_close;
    ready_.push_back({fds[i].fd, ids[i], ev});
  }
  for (const ready& c : ready_) readwrite(c);
  return {};
}

void loop::update_interest(int fd, entry& e) {
  std::uint32_t mask = 0;
  if (e.d->readable()) mask |= EPOLLIN | EPOLLPRI;
  if (e.d->writable() && !e.d->accepting()) mask |= EPOLLOUT;
  if (mask == e.epoll_mask) return;
  epoll_event ev{};
  ev.events = mask;
  ev.data.fd = fd;
  // A descriptor nobody wants events from leaves the set, or its hang-up
  // would be reported on every wait.
  const int op = e.epoll_mask == 0 ? EPOLL_CTL_ADD : (mask == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD);
  if (::epoll_ctl(epoll_fd_, op, fd, &ev) != 0) {
    // This descriptor's failure (ENOMEM, ENOSPC at max_user_watches, a
    // descriptor closed behind the dispatcher's back) is this dispatcher's
    // error, not the loop's: it goes to handle_error() before the wait.
    failed_.push_back({fd, e.id, static_cast<std::uint32_t>(errno)});
    return;
  }
  if (e.epoll_mask == 0) ++watched_;
  if (mask == 0) --watched_;
  e.epoll_mask = mask;
}

std::error_code loop::poll_epoll(std::chrono::milliseconds timeout) {
  if (epoll_fd_ < 0) return {EBADF, std::system_category()};
  // Level-triggered; the interest set follows the predicates, with a system
  // call only when one changed. every_poll asks every dispatcher, as asyncore
  // does; on_events only those marked since they were last asked.
  if (updates_ == interest_updates::every_poll) {
    for (auto& [fd, e] : map_) update_interest(fd, e);
  } else {
    asking_.swap(dirty_);  // a predicate that calls interest_changed() lands in dirty_
    for (const auto& [fd, id] : asking_) {
      auto it = map_.find(fd);
      if (it == map_.end() || it->second.id != id) continue;  // closed since
      it->second.d->dirty_ = false;
      update_interest(fd, it->second);
    }
    asking_.clear();
  }
  for (const ready& c : failed_) {
    const int err = static_cast<int>(c.events);
    dispatch(c.fd, c.id, [err](dispatcher&) {
      throw std::system_error(err, std::system_category(), "epoll_ctl");
    });
  }
  failed_.clear();
  const std::size_t want = watched_ == 0 ? 1 : watched_;
  if (epoll_capacity_ < want) {
    // Grow geometrically; the array is reused from one iteration to the next.
    const std::size_t cap = std::max(want, epoll_capacity_ * 2);
    epoll_events_ = std::make_unique<epoll_event[]>(cap);
    epoll_capacity_ = cap;
  }
  epoll_event* const events = epoll_events_.get();
  // At most `watched_` events: that many descriptors are in the set.
  const int n = ::epoll_wait(epoll_fd_, events, static_cast<int>(want), to_ms(timeout));
  if (n < 0) {
    if (errno == EINTR) return {};
    return {errno, std::system_category()};
  }
  ready_.clear();
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    auto it = map_.find(fd);
    if (it == map_.end()) continue;
    const std::uint32_t re = events[i].events;
    std::uint32_t ev = 0;
    if (re & EPOLLIN) ev |= ev_read;
    if (re & EPOLLOUT) ev |= ev_write;
    if (re & EPOLLPRI) ev |= ev_expt;
    if (re & (EPOLLHUP | EPOLLERR)) ev |= ev_close;
    ready_.push_back({fd, it->second.id, ev});
  }
  // In the kernel's order, which follows readiness. asyncore has no epoll
  // backend to mirror, and a fixed order (ascending descriptors, as poll's)
  // would serve the same connections last in every busy iteration: under
  // load their requests wait longest each time, which is a server's tail
  // latency.
  for (const ready& c : ready_) readwrite(c);
  return {};
}

}  // namespace chatframe::reactor
