// xpiler SIMT runtime: the common part of cooperative_groups (CUDA <cooperative_groups.h>, HIP
// <hip/hip_cooperative_groups.h>): the thread block, static tiles of up to one warp (sync, shuffles, votes)
// and cooperative_groups::reduce. Grid-wide synchronization needs a cooperative launch: "unsupported".
#pragma once

namespace cooperative_groups {

class thread_block {
 public:
  void sync(XP_SITE_PARAMS) const { xp_simt_barrier(0, 0, XP_SITE); }
  unsigned thread_rank() const {
    return threadIdx.x + threadIdx.y * blockDim.x + threadIdx.z * blockDim.x * blockDim.y;
  }
  unsigned size() const { return blockDim.x * blockDim.y * blockDim.z; }
  unsigned num_threads() const { return size(); }
  dim3 group_index() const { return dim3(blockIdx); }
  dim3 thread_index() const { return dim3(threadIdx); }
  dim3 group_dim() const { return blockDim; }
  dim3 dim_threads() const { return blockDim; }
};
inline thread_block this_thread_block() { return thread_block(); }
inline void sync(const thread_block& b, XP_SITE_PARAMS) { b.sync(XP_SITE); }

class grid_group {
 public:
  void sync(XP_SITE_PARAMS) const {
    xp_fault("unsupported", "grid_group::sync at line %u needs a cooperative launch, which the emulator does not run",
             xp_line);
  }
  unsigned long long thread_rank() const {
    unsigned long long block = blockIdx.x + (unsigned long long)blockIdx.y * gridDim.x +
                               (unsigned long long)blockIdx.z * gridDim.x * gridDim.y;
    return block * this_thread_block().size() + this_thread_block().thread_rank();
  }
  unsigned long long size() const {
    return (unsigned long long)gridDim.x * gridDim.y * gridDim.z * this_thread_block().size();
  }
  unsigned long long num_threads() const { return size(); }
};
inline grid_group this_grid() { return grid_group(); }

// A tile of Size consecutive threads (by linear thread id) inside one warp.
template <unsigned Size, class Parent = void>
class thread_block_tile {
  static_assert(Size && (Size & (Size - 1)) == 0 && Size <= unsigned(XP_WARP_SIZE),
                "thread_block_tile: the size must be a power of two of at most the warp size");
  uint64_t mask() const {
    uint64_t ones = Size == 64 ? ~0ull : ((1ull << Size) - 1);
    return ones << (xp_simt_lane() / Size * Size);
  }

 public:
  thread_block_tile() = default;
  template <class P2>
  thread_block_tile(const thread_block_tile<Size, P2>&) {}  // a typed tile converts to the generic one
  static constexpr unsigned num_threads() { return Size; }
  static constexpr unsigned size() { return Size; }
  unsigned thread_rank() const { return this_thread_block().thread_rank() % Size; }
  unsigned meta_group_rank() const { return this_thread_block().thread_rank() / Size; }
  unsigned meta_group_size() const { return (this_thread_block().size() + Size - 1) / Size; }
  void sync(XP_SITE_PARAMS) const { xp_simt_vote(mask(), XP_VOTE_SYNC, 0, "thread_block_tile::sync", XP_SITE); }
  template <class T>
  T shfl(T v, int src, XP_SITE_PARAMS) const {
    return xp_simt_shfl(mask(), v, XP_SHFL_IDX, src, int(Size), "thread_block_tile::shfl", XP_SITE);
  }
  template <class T>
  T shfl_up(T v, unsigned d, XP_SITE_PARAMS) const {
    return xp_simt_shfl(mask(), v, XP_SHFL_UP, int(d), int(Size), "thread_block_tile::shfl_up", XP_SITE);
  }
  template <class T>
  T shfl_down(T v, unsigned d, XP_SITE_PARAMS) const {
    return xp_simt_shfl(mask(), v, XP_SHFL_DOWN, int(d), int(Size), "thread_block_tile::shfl_down", XP_SITE);
  }
  template <class T>
  T shfl_xor(T v, int m, XP_SITE_PARAMS) const {
    return xp_simt_shfl(mask(), v, XP_SHFL_XOR, m, int(Size), "thread_block_tile::shfl_xor", XP_SITE);
  }
  int any(int p, XP_SITE_PARAMS) const {
    return int(xp_simt_vote(mask(), XP_VOTE_ANY, p != 0, "thread_block_tile::any", XP_SITE));
  }
  int all(int p, XP_SITE_PARAMS) const {
    return int(xp_simt_vote(mask(), XP_VOTE_ALL, p != 0, "thread_block_tile::all", XP_SITE));
  }
  unsigned long long ballot(int p, XP_SITE_PARAMS) const {  // bit i: the tile's thread of rank i
    uint64_t b = xp_simt_vote(mask(), XP_VOTE_BALLOT, p != 0, "thread_block_tile::ballot", XP_SITE);
    return b >> (xp_simt_lane() / Size * Size);
  }
};

template <unsigned Size, class Parent>
inline thread_block_tile<Size, Parent> tiled_partition(const Parent&) {
  return thread_block_tile<Size, Parent>();
}

// Any group, its kind known at run time: the whole block (size_ == 0) or a tile of size_ threads inside one warp
// (`cg::thread_group g = cg::tiled_partition(block, 16);`, helper functions that take `const thread_group&`).
class thread_group {
  unsigned size_;
  uint64_t mask() const {
    uint64_t ones = size_ >= 64 ? ~0ull : ((1ull << size_) - 1);
    return ones << (xp_simt_lane() / size_ * size_);
  }

 public:
  thread_group(const thread_block&) : size_(0) {}
  template <unsigned Size, class Parent>
  thread_group(const thread_block_tile<Size, Parent>&) : size_(Size) {}
  explicit thread_group(unsigned size) : size_(size) {
    if (size == 0 || (size & (size - 1)) != 0 || size > unsigned(XP_WARP_SIZE))
      xp_fault("unsupported", "tiled_partition(%u): a tile is a power of two of at most the warp size", size);
  }
  void sync(XP_SITE_PARAMS) const {
    if (size_ == 0)
      xp_simt_barrier(0, 0, XP_SITE);
    else
      xp_simt_vote(mask(), XP_VOTE_SYNC, 0, "thread_group::sync", XP_SITE);
  }
  unsigned thread_rank() const {
    unsigned r = this_thread_block().thread_rank();
    return size_ ? r % size_ : r;
  }
  unsigned size() const { return size_ ? size_ : this_thread_block().size(); }
  unsigned num_threads() const { return size(); }
};
inline thread_group tiled_partition(const thread_group&, unsigned size) { return thread_group(size); }
inline void sync(const thread_group& g, XP_SITE_PARAMS) { g.sync(XP_SITE); }

template <class T>
struct plus {
  T operator()(const T& a, const T& b) const { return a + b; }
};
template <class T>
struct less {  // the smaller value
  T operator()(const T& a, const T& b) const { return b < a ? b : a; }
};
template <class T>
struct greater {  // the larger value
  T operator()(const T& a, const T& b) const { return a < b ? b : a; }
};
template <class T>
struct bit_and {
  T operator()(const T& a, const T& b) const { return a & b; }
};
template <class T>
struct bit_or {
  T operator()(const T& a, const T& b) const { return a | b; }
};
template <class T>
struct bit_xor {
  T operator()(const T& a, const T& b) const { return a ^ b; }
};

// The tile's reduction, returned to every thread of the tile (a butterfly of shfl_xor).
template <unsigned Size, class Parent, class T, class Op>
inline T reduce(const thread_block_tile<Size, Parent>& g, T val, Op op) {
  for (unsigned o = Size / 2; o > 0; o >>= 1) val = op(val, g.shfl_xor(val, int(o)));
  return val;
}

}  // namespace cooperative_groups
