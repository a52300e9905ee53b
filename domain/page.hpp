// One page of a listing, and how every listing reads one.
#pragma once

#include <cstdint>
#include <vector>

namespace vutf {

template <class T>
struct page_of {
  std::vector<T> items;
  int64_t page = 1;
  int64_t per_page = 20;
  int64_t total = 0;
};

// One page of a listing: the total from `count`, and the items from `list` unless the page lies
// past the end (so such a page costs no second query).
template <class T, class Count, class List>
page_of<T> read_page(int64_t page, int64_t per_page, Count count, List list) {
  page_of<T> out;
  out.page = page;
  out.per_page = per_page;
  out.total = count();
  if ((page - 1) * per_page < out.total) out.items = list();
  return out;
}

}  // namespace vutf
