// The typed __bang_* computations. Every intrinsic first checks its operands (memory space, count > 0,
// bounds of one object; soft rules per XP_BANG_CHECK), then computes. Floating-point data is computed in
// double and rounded once (nearest-even) to the element type; integer data in 64-bit integers, wrapped to
// the element width. Operands are read into scratch buffers before dst is written, so any overlap the manual
// allows gives the documented result.
#include "xp_bang_internal.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace xpb {
namespace {

std::vector<double> g_fa, g_fb, g_fc;  // scratch (the runtime is single-threaded; ops never switch fibers)
std::vector<long long> g_ia, g_ib;

// ---------------------------------------------------------------- element load / store
template <class T>
double ldf(const void* p, long long i) {
  return double(static_cast<const T*>(p)[i]);
}
double load_f(int dt, const void* p, long long i) {
  switch (dt) {
    case XP_F16: return ldf<xp_f16>(p, i);
    case XP_BF16: return double(float(static_cast<const xp_bf16*>(p)[i]));
    case XP_F32: return ldf<float>(p, i);
    case XP_F64: return ldf<double>(p, i);
    case XP_I8: return ldf<int8_t>(p, i);
    case XP_U8: return ldf<uint8_t>(p, i);
    case XP_I16: return ldf<int16_t>(p, i);
    case XP_U16: return ldf<uint16_t>(p, i);
    case XP_I32: return ldf<int32_t>(p, i);
    case XP_U32: return ldf<uint32_t>(p, i);
    case XP_I64: return ldf<int64_t>(p, i);
    case XP_U64: return ldf<uint64_t>(p, i);
    case XP_BOOL: return ldf<bool>(p, i);
  }
  xp_fault("unsupported", "element type %s is not supported by this intrinsic", dt_name(dt));
}
long long load_i(int dt, const void* p, long long i) {
  switch (dt) {
    case XP_I8: return static_cast<const int8_t*>(p)[i];
    case XP_U8: return static_cast<const uint8_t*>(p)[i];
    case XP_I16: return static_cast<const int16_t*>(p)[i];
    case XP_U16: return static_cast<const uint16_t*>(p)[i];
    case XP_I32: return static_cast<const int32_t*>(p)[i];
    case XP_U32: return static_cast<const uint32_t*>(p)[i];
    case XP_I64: return static_cast<const int64_t*>(p)[i];
    case XP_U64: return (long long)static_cast<const uint64_t*>(p)[i];
    case XP_BOOL: return static_cast<const bool*>(p)[i];
  }
  return (long long)load_f(dt, p, i);
}

long long sat(long long v, int dt) {
  long long lo, hi;
  switch (dt) {
    case XP_I8: lo = -128, hi = 127; break;
    case XP_U8: lo = 0, hi = 255; break;
    case XP_I16: lo = -32768, hi = 32767; break;
    case XP_U16: lo = 0, hi = 65535; break;
    case XP_I32: lo = INT32_MIN, hi = INT32_MAX; break;
    case XP_U32: lo = 0, hi = UINT32_MAX; break;
    default: return v;
  }
  return v < lo ? lo : v > hi ? hi : v;
}

// integer store: wrap to the element width (two's complement)
void store_i(int dt, void* p, long long i, long long v) {
  switch (dt) {
    case XP_I8: static_cast<int8_t*>(p)[i] = int8_t(uint8_t(v)); return;
    case XP_U8: static_cast<uint8_t*>(p)[i] = uint8_t(v); return;
    case XP_I16: static_cast<int16_t*>(p)[i] = int16_t(uint16_t(v)); return;
    case XP_U16: static_cast<uint16_t*>(p)[i] = uint16_t(v); return;
    case XP_I32: static_cast<int32_t*>(p)[i] = int32_t(uint32_t(v)); return;
    case XP_U32: static_cast<uint32_t*>(p)[i] = uint32_t(v); return;
    case XP_I64: case XP_U64: static_cast<int64_t*>(p)[i] = v; return;
    case XP_BOOL: static_cast<bool*>(p)[i] = v != 0; return;
  }
}
// value store: float types round to nearest even; integer types truncate toward zero and saturate
void store_f(int dt, void* p, long long i, double v) {
  switch (dt) {
    case XP_F16: static_cast<xp_f16*>(p)[i] = xp_f16(v); return;
    case XP_BF16: static_cast<xp_bf16*>(p)[i] = to_bf16(v, XPB_RN); return;
    case XP_F32: static_cast<float*>(p)[i] = float(v); return;
    case XP_F64: static_cast<double*>(p)[i] = v; return;
  }
  if (std::isnan(v)) v = 0;
  double t = std::trunc(v);
  long long q = t >= 9.2e18 ? INT64_MAX : t <= -9.2e18 ? INT64_MIN : (long long)t;
  store_i(dt, p, i, sat(q, dt));
}

void load_all_f(int dt, const void* p, long long n, std::vector<double>& out) {
  out.resize(size_t(n));
  double* o = out.data();
  switch (dt) {  // the common types get tight (vectorizable) loops
    case XP_F32: for (long long i = 0; i < n; ++i) o[i] = static_cast<const float*>(p)[i]; return;
    case XP_F16: for (long long i = 0; i < n; ++i) o[i] = double(static_cast<const xp_f16*>(p)[i]); return;
    default: for (long long i = 0; i < n; ++i) o[i] = load_f(dt, p, i);
  }
}
void store_all_f(int dt, void* p, long long n, const double* v) {
  switch (dt) {
    case XP_F32: for (long long i = 0; i < n; ++i) static_cast<float*>(p)[i] = float(v[i]); return;
    case XP_F16: for (long long i = 0; i < n; ++i) static_cast<xp_f16*>(p)[i] = xp_f16(v[i]); return;
    default: for (long long i = 0; i < n; ++i) store_f(dt, p, i, v[i]);
  }
}
void load_all_i(int dt, const void* p, long long n, std::vector<long long>& out) {
  out.resize(size_t(n));
  for (long long i = 0; i < n; ++i) out[size_t(i)] = load_i(dt, p, i);
}

int need_dt(int dt, const char* op) {
  int s = dt_size(dt);
  if (!s) xp_fault("unsupported", "%s: element type %s is not supported", op, dt_name(dt));
  return s;
}

// The standard checks of a vector operand: NRAM, inside one object, 2xx alignment rule (soft).
void vec(const char* op, const void* p, long long n, int esize, const char* role, bool write) {
  need(S_NRAM, p, n * esize, op, role, write);
  vec_align(op, p, n * esize, role);
}

// ---------------------------------------------------------------- element-wise engines
double fop(int op, double a, double b, const char* name) {
  switch (op) {
    case XO_ADD: return a + b;
    case XO_SUB: return a - b;
    case XO_MUL: return a * b;
    case XO_DIV: return a / b;
    case XO_MAX: return std::fmax(a, b);
    case XO_MIN: return std::fmin(a, b);
    case XO_NAN_MAX: return (std::isnan(a) || std::isnan(b)) ? NAN : std::fmax(a, b);
    case XO_NAN_MIN: return (std::isnan(a) || std::isnan(b)) ? NAN : std::fmin(a, b);
    case XO_POW: return std::pow(a, b);
    case XO_REM: return std::fmod(a, b);
    case XO_EQ: return a == b;
    case XO_NE: return a != b;
    case XO_GT: return a > b;
    case XO_GE: return a >= b;
    case XO_LT: return a < b;
    case XO_LE: return a <= b;
    case XO_AND: return (a != 0) && (b != 0);
    case XO_OR: return (a != 0) || (b != 0);
    case XO_XOR: return (a != 0) != (b != 0);
  }
  xp_fault("unsupported", "%s is not defined for floating-point data", name);
}

long long iop(int op, long long a, long long b, int dt, const char* name) {
  unsigned long long ua = (unsigned long long)a, ub = (unsigned long long)b;
  int bits = dt_size(dt) * 8;
  switch (op) {
    case XO_ADD: return (long long)(ua + ub);
    case XO_SUB: return (long long)(ua - ub);
    case XO_MUL: return (long long)(ua * ub);
    case XO_DIV:
    case XO_REM:
      if (b == 0) xp_fault("arithmetic", "%s: integer division by zero", name);
      return op == XO_DIV ? a / b : a % b;
    case XO_MAX: case XO_NAN_MAX: return std::max(a, b);
    case XO_MIN: case XO_NAN_MIN: return std::min(a, b);
    case XO_POW: return (long long)std::pow(double(a), double(b));
    case XO_EQ: return a == b;
    case XO_NE: return a != b;
    case XO_GT: return a > b;
    case XO_GE: return a >= b;
    case XO_LT: return a < b;
    case XO_LE: return a <= b;
    case XO_AND: return (a != 0) && (b != 0);
    case XO_OR: return (a != 0) || (b != 0);
    case XO_XOR: return (a != 0) != (b != 0);
    case XO_BAND: return (long long)(ua & ub);
    case XO_BOR: return (long long)(ua | ub);
    case XO_BXOR: return (long long)(ua ^ ub);
    case XO_SLL: return b >= bits ? 0 : (long long)(ua << b);
    case XO_SRL: {  // logical: on the unsigned element width
      unsigned long long mask = bits == 64 ? ~0ULL : ((1ULL << bits) - 1);
      return b >= bits ? 0 : (long long)((ua & mask) >> b);
    }
    case XO_SRA: return a >> std::min<long long>(b, bits - 1);
  }
  xp_fault("unsupported", "%s is not defined for integer data", name);
}

bool bitwise(int op) { return op == XO_BAND || op == XO_BOR || op == XO_BXOR || op == XO_BNOT; }

// Bitwise ops act on the raw bits: floating elements are processed as unsigned integers of their width.
int as_bits(int dt) {
  switch (dt) {
    case XP_F16: case XP_BF16: return XP_U16;
    case XP_F32: return XP_U32;
    case XP_F64: return XP_U64;
  }
  return dt;
}

// d[i] = a[i] op b[i % bn] (bn = n: plain binary; bn = seg: cycle; b == nullptr: scalar s)
void ew_binary(int op, int dt, void* d, const void* a, const void* b, long long bn, double s, long long n,
               const char* name) {
  if (bitwise(op)) dt = as_bits(dt);
  if (dt_is_float(dt)) {
    load_all_f(dt, a, n, g_fa);
    if (b) load_all_f(dt, b, bn, g_fb);
    double* x = g_fa.data();
    const double* y = b ? g_fb.data() : nullptr;
    if (!b) {
      switch (op) {  // the frequent scalar forms, vectorizable
        case XO_ADD: for (long long i = 0; i < n; ++i) x[i] += s; break;
        case XO_SUB: for (long long i = 0; i < n; ++i) x[i] -= s; break;
        case XO_MUL: for (long long i = 0; i < n; ++i) x[i] *= s; break;
        default: for (long long i = 0; i < n; ++i) x[i] = fop(op, x[i], s, name);
      }
    } else if (bn == n) {
      switch (op) {
        case XO_ADD: for (long long i = 0; i < n; ++i) x[i] += y[i]; break;
        case XO_SUB: for (long long i = 0; i < n; ++i) x[i] -= y[i]; break;
        case XO_MUL: for (long long i = 0; i < n; ++i) x[i] *= y[i]; break;
        case XO_DIV: for (long long i = 0; i < n; ++i) x[i] /= y[i]; break;
        default: for (long long i = 0; i < n; ++i) x[i] = fop(op, x[i], y[i], name);
      }
    } else {
      for (long long i = 0; i < n; ++i) x[i] = fop(op, x[i], y[i % bn], name);
    }
    store_all_f(dt, d, n, x);
    return;
  }
  load_all_i(dt, a, n, g_ia);
  if (b) load_all_i(dt, b, bn, g_ib);
  long long sv = (long long)s;
  if (!b && double(sv) != s && op != XO_MUL && op != XO_DIV) {
    // a non-integral scalar with integer data: compute in floating point, truncate
    for (long long i = 0; i < n; ++i) store_f(dt, d, i, fop(op, double(g_ia[size_t(i)]), s, name));
    return;
  }
  for (long long i = 0; i < n; ++i) {
    long long y = b ? g_ib[size_t(i % bn)] : sv;
    long long r = (!b && double(sv) != s) ? (long long)fop(op, double(g_ia[size_t(i)]), s, name)
                                          : iop(op, g_ia[size_t(i)], y, dt, name);
    store_i(dt, d, i, r);
  }
}

double ufop(int op, double x) {
  switch (op) {
    case XO_RELU: return x > 0 ? x : 0.0;
    case XO_SIGMOID: return 1.0 / (1.0 + std::exp(-x));
    case XO_TANH: return std::tanh(x);
    case XO_GELU: return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case XO_EXP: return std::exp(x);
    case XO_LN: return std::log(x);
    case XO_LOG2: return std::log2(x);
    case XO_POW2: return std::exp2(x);
    case XO_SQRT: return std::sqrt(x);
    case XO_RSQRT: return 1.0 / std::sqrt(x);
    case XO_RECIP: return 1.0 / x;
    case XO_SIN: return std::sin(x);
    case XO_COS: return std::cos(x);
    case XO_ABS: return std::fabs(x);
    case XO_SIGN: return x >= 0 ? 1.0 : -1.0;  // the guide: x >= 0 (also -0) gives 1, else -1
    case XO_SQUARE: return x * x;
    case XO_FLOOR: return std::floor(x);
    case XO_ROUND: return std::round(x);  // "round-nearest-off-zero": ties away from zero
    case XO_NEARBYINT: return std::nearbyint(x);
    case XO_NEG: return -x;
    case XO_NOT: return x == 0 ? 1.0 : 0.0;
    case XO_SOFTPLUS: return x > 30 ? x : std::log1p(std::exp(x));
    case XO_COPY: return x;
  }
  return x;
}

}  // namespace

// ---------------------------------------------------------------- element-wise entry points
void binary(int op, int dt, void* d, const void* a, const void* b, xpb_cnt n, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "the element count");
  vec(name, a, n, es, "src0", false);
  vec(name, b, n, es, "src1", false);
  vec(name, d, n, es, "dst", true);
  ew_binary(op, dt, d, a, b, n, 0, n, name);
}

void scalar(int op, int dt, void* d, const void* a, double s, xpb_cnt n, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "the element count");
  vec(name, a, n, es, "src", false);
  vec(name, d, n, es, "dst", true);
  if ((op == XO_DIV || op == XO_REM) && s == 0 && !dt_is_float(dt))
    xp_fault("arithmetic", "%s: division by a zero scalar", name);
  ew_binary(op, dt, d, a, nullptr, 0, s, n, name);
}

void cycle(int op, int dt, void* d, const void* a, const void* seg, xpb_cnt n, xpb_cnt segn, const char* name,
           const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "src_elem_count");
  need_count(segn, name, "seg_elem_count");
  if (n % segn)
    xp_fault("invalid-argument", "%s: src_elem_count (%lld) must be a multiple of seg_elem_count (%lld)", name, n,
             segn);
  vec(name, a, n, es, "src", false);
  vec(name, seg, segn, es, "seg", false);
  vec(name, d, n, es, "dst", true);
  ew_binary(op, dt, d, a, seg, segn, 0, n, name);
}

void div_workspace(int dt, void* d, const void* a, const void* b, const void* work, xpb_cnt n, const xp_loc& loc) {
  const char* name = "__bang_div";
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "the element count");
  vec(name, a, n, es, "src0", false);
  vec(name, b, n, es, "src1", false);
  vec(name, work, n, es, "src_addition (workspace)", true);
  vec(name, d, n, es, "dst", true);
  ew_binary(XO_DIV, dt, d, a, b, n, 0, n, name);  // the workspace is not modified
}

void unary(int op, int dt, void* d, const void* s, xpb_cnt n, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "the element count");
  vec(name, s, n, es, "src", false);
  vec(name, d, n, es, "dst", true);
  if (op == XO_FLOOR || op == XO_ROUND || op == XO_NEARBYINT) no_overlap(name, d, n * es, s, n * es, "src", false);
  if (op == XO_BNOT) {
    int bdt = as_bits(dt);
    load_all_i(bdt, s, n, g_ia);
    for (long long i = 0; i < n; ++i) store_i(bdt, d, i, ~g_ia[size_t(i)]);
    return;
  }
  if (!dt_is_float(dt) && (op == XO_ABS || op == XO_NEG || op == XO_NOT || op == XO_SQUARE || op == XO_RELU ||
                           op == XO_SIGN || op == XO_COPY)) {
    load_all_i(dt, s, n, g_ia);
    for (long long i = 0; i < n; ++i) {
      long long x = g_ia[size_t(i)];
      long long r = op == XO_ABS ? (x < 0 ? -x : x) : op == XO_NEG ? -x : op == XO_NOT ? (x == 0) :
                    op == XO_SQUARE ? x * x : op == XO_RELU ? (x > 0 ? x : 0) : op == XO_SIGN ? (x >= 0 ? 1 : -1) : x;
      store_i(dt, d, i, r);
    }
    return;
  }
  load_all_f(dt, s, n, g_fa);
  double* x = g_fa.data();
  for (long long i = 0; i < n; ++i) x[i] = ufop(op, x[i]);
  store_all_f(dt, d, n, x);
}

void cmp_bits(int op, int dt, void* d, const void* a, const void* b, xpb_cnt n, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "the element count");
  vec(name, a, n, es, "src0", false);
  vec(name, b, n, es, "src1", false);
  need(S_NRAM, d, (n + 7) / 8, name, "dst (bits)", true);
  if (n % 8) soft(R_ALIGN, name, "elem_count (%lld) is not a multiple of 8; the last byte is partly written", n);
  load_all_f(dt, a, n, g_fa);
  load_all_f(dt, b, n, g_fb);
  std::vector<unsigned char> bits(static_cast<size_t>((n + 7) / 8), 0);
  for (long long i = 0; i < n; ++i)
    if (fop(op, g_fa[size_t(i)], g_fb[size_t(i)], name) != 0) bits[size_t(i >> 3)] |= (unsigned char)(0x80 >> (i & 7));
  unsigned char* out = static_cast<unsigned char*>(d);
  for (long long k = 0; k < (n + 7) / 8; ++k) {
    unsigned char keep = (k == n / 8 && n % 8) ? (unsigned char)(0xFF >> (n % 8)) : 0;  // bits past n unchanged
    out[k] = (unsigned char)((out[k] & keep) | bits[size_t(k)]);
  }
}

void fusion(int code, int dt, void* d, const void* a, const void* b, bool b_vec, double bs, const void* c, bool c_vec,
            double cs, xpb_cnt n, xpb_cnt segn, const xp_loc& loc) {
  const char* name = "__bang_fusion";
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "src_elem_count");
  need_count(segn, name, "seg_elem_count");
  if (n % segn)
    xp_fault("invalid-argument", "%s: src_elem_count (%lld) must be a multiple of seg_elem_count (%lld)", name, n, segn);
  vec(name, a, n, es, "src0", false);
  if (b_vec) vec(name, b, segn, es, "src1", false);
  if (c_vec) vec(name, c, segn, es, "src2", false);
  vec(name, d, n, es, "dst", true);
  load_all_f(dt, a, n, g_fa);
  if (b_vec) load_all_f(dt, b, segn, g_fb);
  if (c_vec) load_all_f(dt, c, segn, g_fc);
  for (long long i = 0; i < n; ++i) {
    double x = g_fa[size_t(i)];
    double y = b_vec ? g_fb[size_t(i % segn)] : bs;
    double z = c_vec ? g_fc[size_t(i % segn)] : cs;
    double r;
    // [?] operand order: (src0 op1 src1) op2 src2, as the enumerator names read (FMA = src0*src1+src2)
    switch (code) {
      case 0: r = x * y + z; break;        // FUSION_FMA
      case 1: r = x * y - z; break;        // FUSION_FMS
      case 2: r = (x + y) * z; break;      // FUSION_FAM
      case 3: r = (x - y) * z; break;      // FUSION_FSM
      case 4: r = x + y + z; break;        // FUSION_FAA
      case 5: r = x + y - z; break;        // FUSION_FAS
      case 6: r = x - y - z; break;        // FUSION_FSS
      case 7: r = x - y + z; break;        // FUSION_FSA
      default: xp_fault("invalid-argument", "%s: unknown op code %d", name, code);
    }
    g_fa[size_t(i)] = r;
  }
  store_all_f(dt, d, n, g_fa.data());
}

// ---------------------------------------------------------------- reductions and searches
void reduce_sum(int dt, void* d, const void* s, xpb_cnt n, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "the element count");
  const long long block = facts().reduce_block / es;  // 32 floats or 64 halves per 128-byte block
  vec(name, s, n, es, "src", false);
  long long nblocks = (n + block - 1) / block;
  need(S_NRAM, d, ((nblocks - 1) * block + 1) * es, name, "dst", true);
  if ((n * es) % facts().reduce_block)
    soft(R_ALIGN, name, "elem_count * sizeof(type) = %lld bytes is not a multiple of %d; the last block sums only "
         "the %lld given elements", n * es, facts().reduce_block, n % block);
  load_all_f(dt, s, n, g_fa);
  std::vector<double> sums(static_cast<size_t>(nblocks), 0.0);
  for (long long i = 0; i < n; ++i) sums[size_t(i / block)] += g_fa[size_t(i)];
  // MLU3xx: the first element of each 128-byte block of dst gets the sum; the others are left unchanged.
  for (long long b = 0; b < nblocks; ++b) store_f(dt, d, b * block, sums[size_t(b)]);
}

void arg_extreme(int dt, void* d, const void* s, xpb_cnt n, bool is_max, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "the element count");
  vec(name, s, n, es, "src", false);
  need(S_NRAM, d, es + 4, name, "dst (value, then uint32 index)", true);
  load_all_f(dt, s, n, g_fa);
  long long best = -1;
  for (long long i = 0; i < n; ++i) {  // NaN is skipped; the first extreme wins
    double v = g_fa[size_t(i)];
    if (std::isnan(v)) continue;
    if (best < 0 || (is_max ? v > g_fa[size_t(best)] : v < g_fa[size_t(best)])) best = i;
  }
  double val = best >= 0 ? g_fa[size_t(best)] : NAN;
  uint32_t idx = best >= 0 ? uint32_t(best) : 0;
  store_f(dt, d, 0, val);
  memcpy(static_cast<char*>(d) + es, &idx, 4);
}

unsigned count(int dt, const void* s, xpb_cnt n, bool bits, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "the element count");
  vec(name, s, n, es, "src", false);
  unsigned c = 0;
  if (bits) {
    const unsigned char* p = static_cast<const unsigned char*>(s);
    for (long long i = 0; i < n * es; ++i) c += unsigned(__builtin_popcount(p[i]));
  } else {
    for (long long i = 0; i < n; ++i) c += load_f(dt, s, i) != 0;
  }
  return c;
}

unsigned find1(int dt, const void* s, xpb_cnt n, bool last, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "the element count");
  vec(name, s, n, es, "src", false);
  if (last) {
    for (long long i = n - 1; i >= 0; --i)
      if (load_f(dt, s, i) != 0) return unsigned(i);
  } else {
    for (long long i = 0; i < n; ++i)
      if (load_f(dt, s, i) != 0) return unsigned(i);
  }
  return 0xFFFFFFFFu;  // none: the guide returns 0xffffffff
}

namespace {
bool mask_bit(const void* mask, long long i) {  // MSB first within each byte (as __bang_bexpand documents)
  return (static_cast<const unsigned char*>(mask)[i >> 3] >> (7 - (i & 7))) & 1;
}
}  // namespace

unsigned select(int dt, void* d, const void* s, const void* mask, int mask_dt, xpb_cnt n, bool bitmask,
                const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "the element count");
  vec(name, s, n, es, "src", false);
  if (bitmask) need(S_NRAM, mask, (n + 7) / 8, name, "mask (bits)", false);
  else vec(name, mask, n, need_dt(mask_dt, name), "mask", false);
  std::vector<char> tmp(static_cast<size_t>(n * es));
  long long k = 0;
  const char* sp = static_cast<const char*>(s);
  for (long long i = 0; i < n; ++i)
    if (bitmask ? mask_bit(mask, i) : load_f(mask_dt, mask, i) != 0) memcpy(&tmp[size_t(k++ * es)], sp + i * es, size_t(es));
  if (k) {
    need(S_NRAM, d, k * es, name, "dst", true);
    memcpy(d, tmp.data(), size_t(k * es));
  } else {
    need(S_NRAM, d, es, name, "dst", true);
  }
  return unsigned(k);
}

void maskmove(int dt, void* d, const void* s, const void* mask, xpb_cnt n, bool bitmask, const char* name,
              const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "the element count");
  vec(name, s, n, es, "src", false);
  vec(name, d, n, es, "dst", true);
  if (bitmask) need(S_NRAM, mask, (n + 7) / 8, name, "mask (bits)", false);
  else vec(name, mask, n, es, "mask", false);
  std::vector<char> src(static_cast<const char*>(s), static_cast<const char*>(s) + n * es);
  const char* mp = static_cast<const char*>(mask);
  for (long long i = 0; i < n; ++i) {
    bool on = bitmask ? mask_bit(mask, i) : std::any_of(mp + i * es, mp + (i + 1) * es, [](char c) { return c != 0; });
    if (on) memcpy(static_cast<char*>(d) + i * es, &src[size_t(i * es)], size_t(es));
  }
}

void lut(int dt, void* d, int idx_dt, const void* idx, const void* table, xpb_cnt n, xpb_cnt table_len,
         const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "elem_count");
  need_count(table_len, name, "table_length");
  vec(name, idx, n, need_dt(idx_dt, name), "index", false);
  vec(name, table, table_len, es, "table", false);
  vec(name, d, n, es, "dst", true);
  no_overlap(name, d, n * es, table, table_len * es, "table", false);
  for (long long i = 0; i < n; ++i) {
    long long k = load_i(idx_dt, idx, i);
    if (k >= 0 && k < table_len)  // out of range: dst keeps its value
      memcpy(static_cast<char*>(d) + i * es, static_cast<const char*>(table) + k * es, size_t(es));
  }
}

void incseq(int dt, void* d, xpb_cnt n, const xp_loc& loc) {
  const char* name = "__bang_incseq";
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "the element count");
  vec(name, d, n, es, "dst", true);
  for (long long i = 0; i < n; ++i) store_f(dt, d, i, double(i));
}

void rand16(short* d, xpb_cnt n, const xp_loc& loc) {
  const char* name = "__bang_rand";
  OpScope scope(name, loc);
  need_count(n, name, "the element count");
  vec(name, d, n, 2, "dst", true);
  if (n % 64) soft(R_ALIGN, name, "elem_count (%lld) must be divisible by 64", n);
  static uint64_t state = 0x9E3779B97F4A7C15ull;  // deterministic: runs are reproducible
  for (long long i = 0; i < n; ++i) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    d[i] = short(state >> 48);
  }
}

// ---------------------------------------------------------------- pooling
void pool(int kind, int index, int dt, void* d, int idx_dt, const void* s, xpb_cnt c, xpb_cnt h, xpb_cnt w, xpb_cnt kh,
          xpb_cnt kw, xpb_cnt sx, xpb_cnt sy, xpb_cnt vis, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(c, name, "channel");
  need_count(h, name, "height");
  need_count(w, name, "width");
  need_count(kh, name, "kernel_height");
  need_count(kw, name, "kernel_width");
  need_count(sx, name, "stride_width");
  need_count(sy, name, "stride_height");
  if (kh * kw > 65536) xp_fault("invalid-argument", "%s: kernel_height * kernel_width must be <= 65536", name);
  if (kh > h || kw > w)
    xp_fault("invalid-argument", "%s: the %lldx%lld window does not fit the %lldx%lld input (no padding)", name, kh, kw,
             h, w);
  long long oh = (h - kh) / sy + 1, ow = (w - kw) / sx + 1;  // rows/columns left over are discarded
  long long outn = oh * ow * c;
  vec(name, s, h * w * c, es, "src", false);
  int is = index ? need_dt(idx_dt, name) : 0;
  long long dbytes = index == 1 ? outn * is : outn * es;
  if (index == 2) {
    if (vis < outn * es) xp_fault("invalid-argument", "%s: value_index_stride (%lld) overlaps the values (%lld bytes)", name, vis, outn * es);
    dbytes = vis + outn * is;
  }
  need(S_NRAM, d, dbytes, name, "dst", true);
  vec_align(name, d, dbytes, "dst");
  no_overlap(name, d, dbytes, s, h * w * c * es, "src", false);
  if (soft_enabled() && (c * es) % 64)
    soft(R_ALIGN, name, "channel * sizeof(type) = %lld bytes is not a multiple of 64 (the MLU2xx rule)", c * es);
  load_all_f(dt, s, h * w * c, g_fa);
  const double* x = g_fa.data();
  std::vector<double> val(static_cast<size_t>(outn));
  std::vector<long long> arg(static_cast<size_t>(outn));
  for (long long y = 0; y < oh; ++y)
    for (long long xo = 0; xo < ow; ++xo)
      for (long long ch = 0; ch < c; ++ch) {
        double acc = kind == XPB_POOL_MAX ? -INFINITY : kind == XPB_POOL_MIN ? INFINITY : 0.0;
        long long at = 0;
        bool first = true;
        for (long long i = 0; i < kh; ++i)
          for (long long j = 0; j < kw; ++j) {
            double v = x[((y * sy + i) * w + (xo * sx + j)) * c + ch];
            if (kind == XPB_POOL_SUM || kind == XPB_POOL_AVG) acc += v;
            else if (first || (kind == XPB_POOL_MAX ? v > acc : v < acc) || (std::isnan(v) && !std::isnan(acc))) {
              if (!(std::isnan(v) && !first)) {
                acc = v;
                at = i * kw + j;  // window-relative, row-major
              }
            }
            first = false;
          }
        if (kind == XPB_POOL_AVG) acc /= double(kh * kw);
        long long o = (y * ow + xo) * c + ch;
        val[size_t(o)] = acc;
        arg[size_t(o)] = at;
      }
  if (index != 1) store_all_f(dt, d, outn, val.data());
  if (index) {
    void* id = static_cast<char*>(d) + (index == 2 ? vis : 0);
    for (long long o = 0; o < outn; ++o) store_i(idx_dt, id, o, arg[size_t(o)]);
  }
}

// ---------------------------------------------------------------- layout
void layout(int kind, int es, void* d, const void* s, xpb_cnt h, xpb_cnt w, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  need_count(h, name, "height");
  need_count(w, name, "width");
  long long bytes = h * w * es;
  vec(name, s, h * w, es, "src", false);
  vec(name, d, h * w, es, "dst", true);
  no_overlap(name, d, bytes, s, bytes, "src", false);
  if (soft_enabled() && ((h * es) % 64 || (w * es) % 64))
    soft(R_ALIGN, name, "height and width must be multiples of 64 bytes / sizeof(type) on MLU2xx (got %lld x %lld)",
         h, w);
  std::vector<char> src(static_cast<const char*>(s), static_cast<const char*>(s) + bytes);
  char* out = static_cast<char*>(d);
  for (long long i = 0; i < h; ++i)
    for (long long j = 0; j < w; ++j) {
      long long o;
      switch (kind) {
        case XPB_L_TRANSPOSE: o = j * h + i; break;                  // dst [w][h]
        case XPB_L_ROT90: o = j * h + (h - 1 - i); break;            // clockwise: dst [w][h]
        case XPB_L_ROT180: o = (h - 1 - i) * w + (w - 1 - j); break; // dst [h][w]
        case XPB_L_ROT270: o = (w - 1 - j) * h + i; break;           // dst [w][h]
        default: o = i * w + (w - 1 - j); break;                     // mirror along W
      }
      memcpy(out + o * es, &src[size_t((i * w + j) * es)], size_t(es));
    }
}

void reshape(int kind, int es, void* d, const void* s, xpb_cnt n, xpb_cnt h, xpb_cnt w, xpb_cnt c, const char* name,
             const xp_loc& loc) {
  OpScope scope(name, loc);
  need_count(n, name, "n");
  need_count(h, name, "h");
  need_count(w, name, "w");
  need_count(c, name, "c");
  long long total = n * h * w * c;
  vec(name, s, total, es, "src", false);
  vec(name, d, total, es, "dst", true);
  no_overlap(name, d, total * es, s, total * es, "src", false);
  std::vector<char> src(static_cast<const char*>(s), static_cast<const char*>(s) + total * es);
  char* out = static_cast<char*>(d);
  if (kind == XPB_R_FILTER) {
    memcpy(out, src.data(), size_t(total * es));
    return;
  }
  for (long long a = 0; a < n; ++a)
    for (long long y = 0; y < h; ++y)
      for (long long x = 0; x < w; ++x)
        for (long long ch = 0; ch < c; ++ch) {
          long long nhwc = ((a * h + y) * w + x) * c + ch, nchw = ((a * c + ch) * h + y) * w + x;
          long long from = kind == XPB_R_NHWC2NCHW ? nhwc : nchw, to = kind == XPB_R_NHWC2NCHW ? nchw : nhwc;
          memcpy(out + to * es, &src[size_t(from * es)], size_t(es));
        }
}

void pad(int es, void* d, const void* s, xpb_cnt c, xpb_cnt h, xpb_cnt w, xpb_cnt top, xpb_cnt bottom, xpb_cnt left,
         xpb_cnt right, const xp_loc& loc) {
  const char* name = "__bang_pad";
  OpScope scope(name, loc);
  need_count(c, name, "channel");
  need_count(h, name, "height");
  need_count(w, name, "width");
  if (top < 0 || bottom < 0 || left < 0 || right < 0) xp_fault("invalid-argument", "%s: negative padding", name);
  long long oh = h + top + bottom, ow = w + left + right;
  vec(name, s, c * h * w, es, "src", false);
  vec(name, d, c * oh * ow, es, "dst", true);
  no_overlap(name, d, c * oh * ow * es, s, c * h * w * es, "src", false);
  std::vector<char> src(static_cast<const char*>(s), static_cast<const char*>(s) + c * h * w * es);
  char* out = static_cast<char*>(d);
  memset(out, 0, size_t(c * oh * ow * es));
  for (long long i = 0; i < h; ++i)
    memcpy(out + ((i + top) * ow + left) * c * es, &src[size_t(i * w * c * es)], size_t(w * c * es));
}

// ---------------------------------------------------------------- tensor unit
namespace {
void tensor_store(int dt, void* d, long long n, const double* v) {
  for (long long i = 0; i < n; ++i) {
    if (dt_is_float(dt)) store_f(dt, d, i, v[i]);
    else store_i(dt, d, i, sat((long long)std::nearbyint(v[i]), dt));  // fixed-point results saturate
  }
}
void pos_check(int pos, const char* name) {
  if (pos < -127 || pos > 127) xp_fault("invalid-argument", "%s: fix_position must be in [-127, 127] (got %d)", name, pos);
}
}  // namespace

void conv(int ddt, void* d, int sdt, const void* s, int kdt, const void* k, const void* bias, xpb_cnt ci, xpb_cnt h,
          xpb_cnt w, xpb_cnt kh, xpb_cnt kw, xpb_cnt sx, xpb_cnt sy, xpb_cnt co, int pos, const xp_loc& loc) {
  const char* name = "__bang_conv";
  OpScope scope(name, loc);
  int des = need_dt(ddt, name), ses = need_dt(sdt, name), kes = need_dt(kdt, name);
  need_count(ci, name, "channel_input");
  need_count(h, name, "height");
  need_count(w, name, "width");
  need_count(kh, name, "kernel_height");
  need_count(kw, name, "kernel_width");
  need_count(co, name, "channel_output");
  if (sx < 1 || sy < 1 || sx > 1023 || sy > 1023)
    xp_fault("invalid-argument", "%s: strides must be in [1, 1023] (got %lld, %lld)", name, sx, sy);
  pos_check(pos, name);
  if (kh > h || kw > w)
    xp_fault("invalid-argument", "%s: the %lldx%lld kernel does not fit the %lldx%lld input (no padding)", name, kh, kw, h, w);
  long long oh = (h - kh) / sy + 1, ow = (w - kw) / sx + 1;
  need(S_NRAM, s, h * w * ci * ses, name, "src", false);
  need(S_WRAM, k, co * kh * kw * ci * kes, name, "kernel (filter)", false);
  need(S_NRAM, d, oh * ow * co * des, name, "dst", true);
  if (bias) need(S_NRAM, bias, co * des, name, "bias", false);
  vec_align(name, s, h * w * ci * ses, "src");
  vec_align(name, d, oh * ow * co * des, "dst");
  no_overlap(name, d, oh * ow * co * des, s, h * w * ci * ses, "src", false);
  if (soft_enabled() && ((ci * kes) % 64 || co % facts().lt_num))
    soft(R_ALIGN, name, "channel_input * sizeof(kernel type) (%lld bytes) must be a multiple of 64 and "
         "channel_output (%lld) a multiple of %d on MLU2xx", ci * kes, co, facts().lt_num);
  std::vector<double> x, f, b;
  load_all_f(sdt, s, h * w * ci, x);
  load_all_f(kdt, k, co * kh * kw * ci, f);
  if (bias) load_all_f(ddt, bias, co, b);
  const double scale = std::ldexp(1.0, pos);  // fix_position: sum of the scale factors of src and kernel
  std::vector<double> out(static_cast<size_t>(oh * ow * co));
  for (long long y = 0; y < oh; ++y)
    for (long long xo = 0; xo < ow; ++xo)
      for (long long o = 0; o < co; ++o) {
        double acc = 0;
        for (long long i = 0; i < kh; ++i)
          for (long long j = 0; j < kw; ++j) {
            const double* xi = &x[size_t(((y * sy + i) * w + (xo * sx + j)) * ci)];
            const double* fi = &f[size_t(((o * kh + i) * kw + j) * ci)];
            for (long long q = 0; q < ci; ++q) acc += xi[q] * fi[q];
          }
        out[size_t((y * ow + xo) * co + o)] = acc * scale + (bias ? b[size_t(o)] : 0.0);
      }
  tensor_store(ddt, d, oh * ow * co, out.data());
}

void mlp(int ddt, void* d, int sdt, const void* s, const void* bias, int wdt, const void* wt, xpb_cnt height,
         xpb_cnt width, int pos, const xp_loc& loc) {
  const char* name = "__bang_mlp";
  OpScope scope(name, loc);
  int des = need_dt(ddt, name), ses = need_dt(sdt, name), wes = need_dt(wdt, name);
  need_count(height, name, "height");
  need_count(width, name, "width");
  pos_check(pos, name);
  // The developer guide: filter is [height][width] row-major, src has `width` elements, dst `height`.
  need(S_NRAM, s, width * ses, name, "src", false);
  need(S_WRAM, wt, height * width * wes, name, "filter", false);
  need(S_NRAM, d, height * des, name, "dst", true);
  if (bias) need(S_NRAM, bias, height * des, name, "bias", false);
  vec_align(name, s, width * ses, "src");
  vec_align(name, d, height * des, "dst");
  no_overlap(name, d, height * des, s, width * ses, "src", false);
  if (bias) no_overlap(name, d, height * des, bias, height * des, "bias", false);
  if (soft_enabled() && (height % facts().lt_num || (width * ses) % 64))
    soft(R_ALIGN, name, "height (%lld) must be a multiple of %d and width * sizeof(src) (%lld bytes) of 64 on MLU2xx",
         height, facts().lt_num, width * ses);
  std::vector<double> x, f, b;
  load_all_f(sdt, s, width, x);
  load_all_f(wdt, wt, height * width, f);
  if (bias) load_all_f(ddt, bias, height, b);
  const double scale = std::ldexp(1.0, pos);
  std::vector<double> out(static_cast<size_t>(height));
  for (long long r = 0; r < height; ++r) {
    double acc = 0;
    const double* fr = &f[size_t(r * width)];
    for (long long q = 0; q < width; ++q) acc += fr[q] * x[size_t(q)];
    out[size_t(r)] = acc * scale + (bias ? b[size_t(r)] : 0.0);
  }
  tensor_store(ddt, d, height, out.data());
}

void matmul(int ddt, void* d, int ldt, const void* lhs, int rdt, const void* rhs, xpb_cnt m, xpb_cnt k, xpb_cnt n,
            int pos, const xp_loc& loc) {
  const char* name = "__bang_matmul";
  OpScope scope(name, loc);
  int des = need_dt(ddt, name), les = need_dt(ldt, name), res = need_dt(rdt, name);
  need_count(m, name, "M");
  need_count(k, name, "K");
  need_count(n, name, "N");
  pos_check(pos, name);
  need(S_NRAM, lhs, m * k * les, name, "lhs", false);
  need(S_WRAM, rhs, k * n * res, name, "rhs", false);
  need(S_NRAM, d, m * n * des, name, "dst", true);
  vec_align(name, lhs, m * k * les, "lhs");
  vec_align(name, d, m * n * des, "dst");
  no_overlap(name, d, m * n * des, lhs, m * k * les, "lhs", false);
  if (soft_enabled() && ((k * les) % 64 || n % facts().lt_num))
    soft(R_ALIGN, name, "K * sizeof(lhs) (%lld bytes) should be a multiple of 64 and N (%lld) of %d (assumed, as for "
         "__bang_mlp, on MLU2xx)", k * les, n, facts().lt_num);
  std::vector<double> a, bm;
  load_all_f(ldt, lhs, m * k, a);
  load_all_f(rdt, rhs, k * n, bm);
  // rhs layout: "kn" [K][N] row-major (what a plain copy of a row-major K x N matrix leaves in WRAM), or
  // "nk" [N][K] (the filter convention); the default and the evidence for each are in dialect.py.
  const bool nk = matmul_rhs_nk();
  const double scale = std::ldexp(1.0, pos);
  std::vector<double> out(static_cast<size_t>(m * n), 0.0);
  for (long long i = 0; i < m; ++i) {
    double* o = &out[size_t(i * n)];
    for (long long q = 0; q < k; ++q) {
      double av = a[size_t(i * k + q)];
      if (nk) {
        for (long long j = 0; j < n; ++j) o[j] += av * bm[size_t(j * k + q)];
      } else {
        const double* br = &bm[size_t(q * n)];
        for (long long j = 0; j < n; ++j) o[j] += av * br[j];
      }
    }
    for (long long j = 0; j < n; ++j) o[j] *= scale;
  }
  tensor_store(ddt, d, m * n, out.data());
}

// ---------------------------------------------------------------- conversion
double round_to_int(double x, int mode) {
  switch (mode) {
    case XPB_RN: return std::nearbyint(x);
    case XPB_TZ: return std::trunc(x);
    case XPB_OZ: return x > 0 ? std::ceil(x) : std::floor(x);
    case XPB_UP: return std::ceil(x);
    case XPB_DN: return std::floor(x);
    case XPB_RD: return std::round(x);
    case XPB_RM: return std::floor(x + 0.5);
  }
  return std::nearbyint(x);
}

namespace {
// Round x to a binary16/bfloat16 value in `mode`. `rn` gives a neighbour of x; the other is found from the bits.
template <class H>
H round_small(double x, int mode, H rn, uint16_t (*bits)(H), H (*from_bits)(uint16_t)) {
  double r = double(float(rn));
  if (std::isnan(x) || r == x) return rn;
  auto step = [&](H v, bool upward) {  // next representable value toward +inf (upward) or -inf
    uint16_t b = bits(v);
    if ((b & 0x7FFF) == 0) return from_bits(upward ? 0x0001 : 0x8001);
    bool neg = b & 0x8000;
    return from_bits(uint16_t(neg == upward ? b - 1 : b + 1));
  };
  H lo = r < x ? rn : step(rn, false);
  H hi = r > x ? rn : step(rn, true);
  // an infinite neighbour stands for the first value past the largest finite one (2^16 for binary16), as
  // IEEE 754 rounds with an unbounded exponent before overflowing: nearest modes give inf from 65520 on
  auto val = [&](H v) {
    double d = double(float(v));
    if (!std::isinf(d)) return d;
    uint16_t mb = uint16_t((bits(v) & 0x7FFF) - 1);
    double m = double(float(from_bits(mb))), p = double(float(from_bits(uint16_t(mb - 1))));
    return std::copysign(m + (m - p), d);
  };
  double dl = x - val(lo), dh = val(hi) - x;
  switch (mode) {
    case XPB_TZ: return x > 0 ? lo : hi;
    case XPB_OZ: return x > 0 ? hi : lo;
    case XPB_UP: return hi;
    case XPB_DN: return lo;
    case XPB_RD: return dl < dh ? lo : dh < dl ? hi : (x > 0 ? hi : lo);
    case XPB_RM: return dl < dh ? lo : hi;
    default: return dl < dh ? lo : dh < dl ? hi : ((bits(lo) & 1) ? hi : lo);  // ties to even
  }
}
uint16_t h_bits(xp_f16 h) {
  uint16_t b;
  memcpy(&b, &h, 2);
  return b;
}
xp_f16 h_from(uint16_t b) {
  xp_f16 h;
  memcpy(&h, &b, 2);
  return h;
}
uint16_t b_bits(xp_bf16 v) { return v.bits; }
xp_bf16 b_from(uint16_t b) {
  xp_bf16 v;
  v.bits = b;
  return v;
}
}  // namespace

xp_f16 to_half(double x, int mode) { return round_small<xp_f16>(x, mode, xp_f16(x), h_bits, h_from); }
xp_bf16 to_bf16(double x, int mode) {
  return round_small<xp_bf16>(x, mode == XPB_RN ? XPB_RN : mode, xp_bf16(float(x)), b_bits, b_from);
}

void convert(int ddt, void* d, int sdt, const void* s, xpb_cnt n, int mode, int dst_pos, int src_pos,
             const long long* strided, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  int des = need_dt(ddt, name), ses = need_dt(sdt, name);
  need_count(n, name, "the element count");
  pos_check(dst_pos, name);
  pos_check(src_pos, name);
  long long dstride = 0, sstride = 0, segs = 1;
  if (strided) {
    dstride = strided[0], sstride = strided[1], segs = strided[2] + 1;
    if (segs < 1) xp_fault("invalid-argument", "%s: segnum must be >= 0", name);
    if (dstride < n * des || sstride < n * ses)
      xp_fault("invalid-argument", "%s: strides (%lld, %lld bytes) must hold the %lld converted elements", name,
               dstride, sstride, n);
  }
  need(S_NRAM, s, (segs - 1) * sstride + n * ses, name, "src", false);
  need(S_NRAM, d, (segs - 1) * dstride + n * des, name, "dst", true);
  const bool qdst = !dt_is_float(ddt), qsrc = !dt_is_float(sdt);
  const double in_scale = std::ldexp(1.0, src_pos), out_scale = std::ldexp(1.0, -dst_pos);
  std::vector<double> v(static_cast<size_t>(n));
  for (long long seg = 0; seg < segs; ++seg) {
    const char* sp = static_cast<const char*>(s) + seg * sstride;
    char* dp = static_cast<char*>(d) + seg * dstride;
    for (long long i = 0; i < n; ++i) v[size_t(i)] = (qsrc ? double(load_i(sdt, sp, i)) : load_f(sdt, sp, i)) * in_scale;
    for (long long i = 0; i < n; ++i) {
      double x = v[size_t(i)];
      if (qdst) {
        double q = std::isnan(x) ? 0 : round_to_int(x * out_scale, mode);
        long long qi = q >= 9.2e18 ? INT64_MAX : q <= -9.2e18 ? INT64_MIN : (long long)q;
        store_i(ddt, dp, i, sat(qi, ddt));  // saturating
      } else if (ddt == XP_F16) {
        static_cast<xp_f16*>(static_cast<void*>(dp))[i] = to_half(x, mode);
      } else if (ddt == XP_BF16) {
        static_cast<xp_bf16*>(static_cast<void*>(dp))[i] = to_bf16(x, mode);
      } else {
        store_f(ddt, dp, i, x);
      }
    }
  }
}

// ---------------------------------------------------------------- atomics
namespace {
double at_f(int op, double a, double b) {
  switch (op) {
    case XPB_AT_ADD: return a + b;
    case XPB_AT_MAX: return std::fmax(a, b);
    case XPB_AT_MIN: return std::fmin(a, b);
    case XPB_AT_EXCH: return b;
  }
  xp_fault("unsupported", "this atomic operation is not defined for floating-point data");
}
long long at_i(int op, long long a, long long b) {
  switch (op) {
    case XPB_AT_ADD: return a + b;
    case XPB_AT_MAX: return std::max(a, b);
    case XPB_AT_MIN: return std::min(a, b);
    case XPB_AT_AND: return a & b;
    case XPB_AT_OR: return a | b;
    case XPB_AT_XOR: return a ^ b;
    case XPB_AT_EXCH: return b;
    case XPB_AT_INC: return a >= b ? 0 : a + 1;
    case XPB_AT_DEC: return (a == 0 || a > b) ? b : a - 1;
  }
  return a;
}
}  // namespace

void atomic(int op, int dt, void* dst, void* src1, const void* src2_vec, double src2, xpb_cnt n, const char* name,
            const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "size");
  need(S_GDRAM, src1, n * es, name, "src1", true);
  need(S_NRAM, dst, n * es, name, "dst", true);
  if (src2_vec) need(S_NRAM, src2_vec, n * es, name, "src2", false);
  if (reinterpret_cast<uintptr_t>(src1) % uintptr_t(es))
    xp_fault("alignment", "%s: src1 must be %d-byte aligned", name, es);
  bool fl = dt_is_float(dt);
  for (long long i = 0; i < n; ++i) {  // one task runs at a time: each element's update is indivisible
    if (fl) {
      double old = load_f(dt, src1, i), b = src2_vec ? load_f(dt, src2_vec, i) : src2;
      store_f(dt, src1, i, at_f(op, old, b));
      store_f(dt, dst, i, old);
    } else {
      long long old = load_i(dt, src1, i), b = src2_vec ? load_i(dt, src2_vec, i) : (long long)src2;
      store_i(dt, src1, i, at_i(op, old, b));
      store_i(dt, dst, i, old);
    }
  }
}

void atomic_reduce(int op, int dt, void* dst, const void* src, xpb_cnt n, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need_count(n, name, "the element count");
  need(S_GDRAM, dst, n * es, name, "dst", true);
  need(S_NRAM, src, n * es, name, "src", false);
  bool fl = dt_is_float(dt);
  for (long long i = 0; i < n; ++i) {
    if (fl) store_f(dt, dst, i, at_f(op, load_f(dt, dst, i), load_f(dt, src, i)));
    else store_i(dt, dst, i, at_i(op, load_i(dt, dst, i), load_i(dt, src, i)));
  }
}

void atomic_cas(int dt, void* dst, void* src1, double cmp, double val, const xp_loc& loc) {
  const char* name = "__bang_atomic_cas";
  OpScope scope(name, loc);
  int es = need_dt(dt, name);
  need(S_GDRAM, src1, es, name, "src1", true);
  need(S_NRAM, dst, es, name, "dst", true);
  if (dt_is_float(dt)) {
    double old = load_f(dt, src1, 0);
    if (old == cmp) store_f(dt, src1, 0, val);
    store_f(dt, dst, 0, old);
  } else {
    long long old = load_i(dt, src1, 0);
    if (old == (long long)cmp) store_i(dt, src1, 0, (long long)val);
    store_i(dt, dst, 0, old);
  }
}

}  // namespace xpb
