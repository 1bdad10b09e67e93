/* The optional compiled row kernel behind softmax, log_softmax and logsumexp.

   Python side: softmax_cli/_accel.py (which rows come here, the threads, and
   the rows sent back to the numpy path). The numpy path in _expkernel.py is the
   reference; this file computes the same formulas, fused into one pass over a
   row after its maximum:

     d + e = x - m exactly (TwoSum), q + qe = (x - m)/tau (TwoProduct via fma),
     t = exp(q + qe), ties with the maximum (d == 0, t == 1 exactly) counted
     apart, rest = (ties - 1) + sum of the other t; then softmax t/(1 + rest)
     (the quotient by fma, see quot) or log-softmax q - log1p(rest) with the
     TwoSum error of that subtraction, qe and log1p's low part added back;
     logsumexp m + tau*log1p(rest) in long double, rounded once.

   A batch's rows are cut into ranges (rows), one thread each; a long row into
   spans of fixed segments (span), whose sums Python adds with math.fsum: no
   bit of a result depends on the number of threads.

   Rows this file does not finish (a nan, an infinite maximum, x - m
   overflowing with tau > 1, a subnormal rest for the log modes) get status 1
   and are recomputed by the numpy path.

   exp(q + qe), q in [-708, 0]
   ---------------------------
   q = (K/N) ln2 + r with N = 128, K = round(q N/ln2), |r| <= ln2/(2N) + tiny.
   exp(q + qe) = 2^(K>>7) * 2^(j/N) * exp(r + qe), j = K mod N.

   * K: q*N/ln2 plus 1.5*2^52 rounds to an integer (the "shift" trick);
     |K| < 2^18.
   * r = (q - K*L_HI) - K*L_LO + qe.  L_HI = ln2/N to 35 bits, so K*L_HI is
     exact and q - K*L_HI is exact by Sterbenz's lemma (for K != 0,
     |q| lies within ln2/(2N) of K*L_HI, between half and twice it).  The two
     roundings that follow (- K*L_LO and + qe) cost at most 2^-53|r| each:
     a relative error of at most 2*2^-53*0.0028 = 0.0056 ULP of the result.
     L_LO's own error, |K| * 2^-96, is far below that.
   * 2^(j/N) = T_HI[j] (1 + T_TAIL[j]): T_HI rounded to nearest, T_TAIL the
     relative remainder, both from mpmath (tests/test_rowkernel.py regenerates
     the table and compares); the product's error is below 2^-106.
   * exp(r) - 1 = r + r^2/2 + r^3/6 + r^4/24 + r^5/120 (Taylor, degree 5): the
     first term left out, r^6/720 with |r| <= 0.002708, is below 5.5e-19,
     0.005 ULP.  Evaluating p and tmp = tail + p(1 + tail) rounds at most a few
     times at |tmp| <= 0.0028: below 0.003 ULP.
   * The result scale + scale*tmp is rounded once with fma (0.5 ULP); where
     there is no hardware fma, the "default" clone calls libm's fma, which is
     exact.
   Bound: 0.5 + 0.0056 + 0.005 + 0.003 < 0.514 ULP.  Measured against mpmath
   (tests/test_rowkernel.py: 8,365 points spread over [-708, 0] and on both
   sides of every kind of reduction boundary (K + 1/2) ln2/N): 0.509 ULP;
   numpy's exp gives 0.64 on the same points.

   q < -708 (the result near or below the normal range): t = 0 in the
   vector loop, and for q >= -746 (a subnormal or tiny result) a scalar pass
   over that block computes exp(q)(1 + qe) with libm's exp, as the numpy path
   does. q = -inf (an entry -inf, x - m overflowing) gives 0.

   The loops are branch-free and vectorise (gcc -O3, -fopenmp-simd for the
   sums); target_clones compiles them for AVX-512, AVX2+FMA and the baseline,
   picked at load time by the CPU (never -march=native); other compilers build
   the baseline alone.  -ffp-contract=off: no multiply-add is fused behind the
   error-free transforms' back; no sum is reassociated (the 8 lanes below are
   fixed), so every clone gives the same bits.  Long rows fetch ahead by hand:
   the sum's loop is busy enough that the hardware prefetcher (on the VMs
   measured) fell behind, tripling its time.

   Sums: the terms of a block of 128 are added in 8 lanes with TwoSum, each
   lane's error kept; lanes and their errors go into one Neumaier-compensated
   sum per row, so the sum of a row (10 terms or 10^7) is correct to about one
   rounding: better than numpy's pairwise sum the numpy path uses.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif
/* every helper is inlined into the cloned loops, so it is compiled for each instruction set */
#if defined(__GNUC__)
#define INLINE static inline __attribute__((always_inline))
#else
#define INLINE static inline
#endif

enum { SOFTMAX = 0, LOG_SOFTMAX = 1, LSE = 2 };

#define TBITS 7
#define NT (1 << TBITS)
#define BS 128              /* terms per block of a sum */
#define PREFETCH 8          /* blocks ahead that a long row's sum fetches */
#define EXP_LO (-708.0)     /* the main path's lower end */
#define EXP_ZERO (-746.0)   /* below: exp(q)(1 + qe) < 2^-1076, rounds to 0 */

static const double SHIFT = 0x1.8p52;
static const double INV_L2N = 0x1.71547652b82fep+7; /* N/ln2 */
static const double L2N_HI = 0x1.62e42fefc0000p-8;  /* ln2/N, 35 bits */
static const double L2N_LO = -0x1.c610ca86c3899p-44;
static const double C3 = 1.0 / 6, C4 = 1.0 / 24, C5 = 1.0 / 120;

/* 2^(j/128): {nearest double, relative tail}; mpmath at 200 bits */
static const double TABLE[NT][2] = {
    {0x1.0000000000000p+0, 0x0.0p+0},
    {0x1.0163da9fb3335p+0, 0x1.b3b4f1a88bf6ep-54},
    {0x1.02c9a3e778061p+0, -0x1.160139cd8dc5dp-56},
    {0x1.04315e86e7f85p+0, -0x1.05e7a108766d1p-54},
    {0x1.059b0d3158574p+0, 0x1.cd2523567f613p-55},
    {0x1.0706b29ddf6dep+0, -0x1.bce8023f98efap-55},
    {0x1.0874518759bc8p+0, 0x1.0f74e61e6c861p-57},
    {0x1.09e3ecac6f383p+0, 0x1.0a3e45b33d399p-54},
    {0x1.0b5586cf9890fp+0, 0x1.79aa65d837b6dp-54},
    {0x1.0cc922b7247f7p+0, 0x1.eb51a92fdeffcp-55},
    {0x1.0e3ec32d3d1a2p+0, 0x1.ebe3d702f9cd1p-60},
    {0x1.0fb66affed31bp+0, -0x1.a033489906e0bp-57},
    {0x1.11301d0125b51p+0, -0x1.556522a2fbd0ep-54},
    {0x1.12abdc06c31ccp+0, -0x1.080ef8c4eea55p-58},
    {0x1.1429aaea92de0p+0, -0x1.1c923b9d5f416p-54},
    {0x1.15a98c8a58e51p+0, 0x1.0d3e3e95c55afp-55},
    {0x1.172b83c7d517bp+0, -0x1.01b15eaa59348p-55},
    {0x1.18af9388c8deap+0, -0x1.f1ff055de323dp-55},
    {0x1.1a35beb6fcb75p+0, 0x1.b898c3f1353bfp-55},
    {0x1.1bbe084045cd4p+0, -0x1.6d99c7611eb26p-54},
    {0x1.1d4873168b9aap+0, 0x1.aecf73e3a2f60p-54},
    {0x1.1ed5022fcd91dp+0, -0x1.fe782cb86389dp-55},
    {0x1.2063b88628cd6p+0, 0x1.a6f4144a6c38dp-55},
    {0x1.21f49917ddc96p+0, 0x1.07a05b0e4047dp-55},
    {0x1.2387a6e756238p+0, 0x1.68efde3a8a894p-54},
    {0x1.251ce4fb2a63fp+0, 0x1.75e18f274487dp-55},
    {0x1.26b4565e27cddp+0, 0x1.0472b981fe7f2p-55},
    {0x1.284dfe1f56381p+0, -0x1.6b87b3f71085ep-54},
    {0x1.29e9df51fdee1p+0, 0x1.2f7e16d09ab31p-55},
    {0x1.2b87fd0dad990p+0, -0x1.d219b1a6fbffap-60},
    {0x1.2d285a6e4030bp+0, 0x1.b3782720c0ab4p-55},
    {0x1.2ecafa93e2f56p+0, 0x1.e149289cecb8fp-57},
    {0x1.306fe0a31b715p+0, 0x1.34d754db0abb6p-55},
    {0x1.32170fc4cd831p+0, 0x1.64201e2ac744cp-55},
    {0x1.33c08b26416ffp+0, 0x1.fdd395dd3f84ap-55},
    {0x1.356c55f929ff1p+0, -0x1.6a3803b8e5b04p-55},
    {0x1.371a7373aa9cbp+0, -0x1.24aedcc4b5068p-54},
    {0x1.38cae6d05d866p+0, -0x1.907f81b512d8ep-54},
    {0x1.3a7db34e59ff7p+0, -0x1.1d1e83e9436d2p-56},
    {0x1.3c32dc313a8e5p+0, -0x1.91919b3ce1b15p-54},
    {0x1.3dea64c123422p+0, 0x1.59f48a72a4c6dp-55},
    {0x1.3fa4504ac801cp+0, -0x1.312607a28698ap-54},
    {0x1.4160a21f72e2ap+0, -0x1.8a78f4817895bp-58},
    {0x1.431f5d950a897p+0, -0x1.c2c9b67499a1bp-56},
    {0x1.44e086061892dp+0, 0x1.363ed60c2ac11p-59},
    {0x1.46a41ed1d0057p+0, 0x1.666093b0664efp-54},
    {0x1.486a2b5c13cd0p+0, 0x1.ecce1daa10379p-57},
    {0x1.4a32af0d7d3dep+0, 0x1.3ff8e3f0f1230p-54},
    {0x1.4bfdad5362a27p+0, 0x1.690cebb7aafb0p-56},
    {0x1.4dcb299fddd0dp+0, 0x1.31dbdeb54e077p-54},
    {0x1.4f9b2769d2ca7p+0, -0x1.f94340071a38ep-55},
    {0x1.516daa2cf6642p+0, -0x1.7deccdc93a349p-55},
    {0x1.5342b569d4f82p+0, -0x1.8dec6bd0f385fp-56},
    {0x1.551a4ca5d920fp+0, -0x1.61246ec7b5cf6p-55},
    {0x1.56f4736b527dap+0, 0x1.3350518fdd78ep-54},
    {0x1.58d12d497c7fdp+0, 0x1.b98b72f8a9b05p-56},
    {0x1.5ab07dd485429p+0, 0x1.063e1e21c5409p-54},
    {0x1.5c9268a5946b7p+0, 0x1.4c7855019c6eap-60},
    {0x1.5e76f15ad2148p+0, 0x1.432e62b64c035p-54},
    {0x1.605e1b976dc09p+0, -0x1.ce44a6199769fp-55},
    {0x1.6247eb03a5585p+0, -0x1.c33c53bef4da8p-55},
    {0x1.6434634ccc320p+0, -0x1.45378892be9aep-55},
    {0x1.6623882552225p+0, -0x1.3cedd78565858p-54},
    {0x1.68155d44ca973p+0, 0x1.710aa807e1964p-58},
    {0x1.6a09e667f3bcdp+0, -0x1.3b3efbf5e2228p-54},
    {0x1.6c012750bdabfp+0, -0x1.a12ad8734b982p-57},
    {0x1.6dfb23c651a2fp+0, -0x1.367efb86da9eep-57},
    {0x1.6ff7df9519484p+0, -0x1.0dc3d54e08851p-55},
    {0x1.71f75e8ec5f74p+0, -0x1.81f647e5a3ecfp-56},
    {0x1.73f9a48a58174p+0, -0x1.6ee4ac08b7db0p-55},
    {0x1.75feb564267c9p+0, -0x1.619321e55e68ap-55},
    {0x1.780694fde5d3fp+0, 0x1.09ccb5e09d4d3p-54},
    {0x1.7a11473eb0187p+0, -0x1.b32dcb94da51dp-56},
    {0x1.7c1ed0130c132p+0, 0x1.4ecfd5467c06bp-54},
    {0x1.7e2f336cf4e62p+0, 0x1.5ebe1abd66c55p-57},
    {0x1.80427543e1a12p+0, -0x1.8a1c52fb3cf42p-55},
    {0x1.82589994cce13p+0, -0x1.369b6f13b3734p-54},
    {0x1.8471a4623c7adp+0, -0x1.05e843a19ff1ep-55},
    {0x1.868d99b4492edp+0, -0x1.4d450d872576ep-54},
    {0x1.88ac7d98a6699p+0, 0x1.0ad675b0e8a00p-54},
    {0x1.8ace5422aa0dbp+0, 0x1.db72fc1f0eab4p-55},
    {0x1.8cf3216b5448cp+0, -0x1.5b6609cc5e7ffp-57},
    {0x1.8f1ae99157736p+0, 0x1.bf68359f35f44p-56},
    {0x1.9145b0b91ffc6p+0, -0x1.3091fa71e3d83p-54},
    {0x1.93737b0cdc5e5p+0, -0x1.da9b88b6c1e29p-58},
    {0x1.95a44cbc8520fp+0, -0x1.c23f97c90b959p-57},
    {0x1.97d829fde4e50p+0, -0x1.2434322f4f9aap-54},
    {0x1.9a0f170ca07bap+0, -0x1.5ca6cd7668e4bp-55},
    {0x1.9c49182a3f090p+0, 0x1.1affc2b91ce27p-56},
    {0x1.9e86319e32323p+0, 0x1.dd235e10a73bbp-57},
    {0x1.a0c667b5de565p+0, -0x1.7c50422622263p-55},
    {0x1.a309bec4a2d33p+0, 0x1.b1c86e3e231d5p-55},
    {0x1.a5503b23e255dp+0, -0x1.1bbd1d3bcbb15p-54},
    {0x1.a799e1330b358p+0, 0x1.0cc319cee31d2p-54},
    {0x1.a9e6b5579fdbfp+0, 0x1.469846e735ab3p-55},
    {0x1.ac36bbfd3f37ap+0, -0x1.2dfcd978e9db4p-55},
    {0x1.ae89f995ad3adp+0, 0x1.c1a7792cb3387p-55},
    {0x1.b0e07298db666p+0, -0x1.07b8f4ad1d9fap-54},
    {0x1.b33a2b84f15fbp+0, -0x1.5c3d956dcaebap-58},
    {0x1.b59728de5593ap+0, -0x1.0a40e3da6f640p-54},
    {0x1.b7f76f2fb5e47p+0, -0x1.8d6f438ad9334p-57},
    {0x1.ba5b030a1064ap+0, -0x1.1eee26b588a35p-54},
    {0x1.bcc1e904bc1d2p+0, 0x1.4ffd70a5fddcdp-56},
    {0x1.bf2c25bd71e09p+0, -0x1.1bdfbfa9298acp-54},
    {0x1.c199bdd85529cp+0, 0x1.36eae30af0cb3p-56},
    {0x1.c40ab5fffd07ap+0, 0x1.ee3325c9ffd94p-55},
    {0x1.c67f12e57d14bp+0, 0x1.4e08fd10959acp-55},
    {0x1.c8f6d9406e7b5p+0, 0x1.3cdaf384e1a67p-57},
    {0x1.cb720dcef9069p+0, 0x1.76b2c6c921968p-57},
    {0x1.cdf0b555dc3fap+0, -0x1.08a1883ccb5d2p-55},
    {0x1.d072d4a07897cp+0, -0x1.fad5d3ffffa6fp-55},
    {0x1.d2f87080d89f2p+0, -0x1.00dae3875a949p-54},
    {0x1.d5818dcfba487p+0, 0x1.4a385a63d07a7p-56},
    {0x1.d80e316c98398p+0, -0x1.2919e2040220fp-55},
    {0x1.da9e603db3285p+0, 0x1.e5a50d5c192acp-55},
    {0x1.dd321f301b460p+0, 0x1.43a59ac016b4bp-55},
    {0x1.dfc97337b9b5fp+0, -0x1.2d52107b43e1fp-55},
    {0x1.e264614f5a129p+0, -0x1.92ab93b470dc9p-55},
    {0x1.e502ee78b3ff6p+0, 0x1.4b604603a88d3p-56},
    {0x1.e7a51fbc74c83p+0, 0x1.3c5ec519d7271p-55},
    {0x1.ea4afa2a490dap+0, -0x1.ff7128fd391f0p-55},
    {0x1.ecf482d8e67f1p+0, -0x1.dae98e223747dp-55},
    {0x1.efa1bee615a27p+0, 0x1.ec3bc41aa2008p-55},
    {0x1.f252b376bba97p+0, 0x1.42b94c3a9eb32p-55},
    {0x1.f50765b6e4540p+0, 0x1.a64a931d185eep-55},
    {0x1.f7bfdad9cbe14p+0, -0x1.e37bae43be3edp-55},
    {0x1.fa7c1819e90d8p+0, 0x1.7893b4d91cd9dp-56},
    {0x1.fd3c22b8f71f1p+0, 0x1.305c14160cc89p-58},
};

static uint64_t TB[NT]; /* bits of TABLE[j][0] less j << 45: + (K << 45) makes 2^(K>>7) T_HI[j] */
static double TT[NT];   /* TABLE[j][1] */

INLINE uint64_t as_bits(double v) { uint64_t u; memcpy(&u, &v, 8); return u; }
INLINE double as_double(uint64_t u) { double v; memcpy(&v, &u, 8); return v; }

/* exp(q + qe) for q in [EXP_LO, 0] (see the top of the file) */
INLINE double exp_main(double q, double qe)
{
    double kd = q * INV_L2N + SHIFT;
    uint64_t ki = as_bits(kd);
    kd -= SHIFT;
    double r = q - kd * L2N_HI;
    r -= kd * L2N_LO;
    r += qe;
    uint64_t j = ki & (NT - 1);
    double scale = as_double(TB[j] + (ki << (52 - TBITS)));
    double tail = TT[j];
    double r2 = r * r;
    double p = r + r2 * (0.5 + r * C3) + (r2 * r2) * (C4 + r * C5);
    double tmp = tail + p * (1.0 + tail);
    return __builtin_fma(scale, tmp, scale);
}

/* exp(q + qe) for any q <= 0 (q = -inf: 0) */
INLINE double exp_any(double q, double qe)
{
    if (q >= EXP_LO) return exp_main(q, qe);
    if (q < EXP_ZERO) return 0.0;
    double t = exp(q);
    return t + t * qe;
}

/* a/b correctly rounded, from inv = 1/b rounded to nearest: y = a*inv is within an
   ULP of a/b, and one Newton step with an exact fma residual rounds it correctly
   (Markstein; Muller et al., Handbook of Floating-Point Arithmetic, 2nd ed., 4.7) as
   long as nothing is subnormal: the callers' a/b are probabilities, and a subnormal
   quotient is within an ULP (of the smallest subnormal) anyway. Cheaper than a
   vector division. */
INLINE double quot(double a, double b, double inv)
{
    double y = a * inv;
    double r = __builtin_fma(-y, b, a);
    return __builtin_fma(r, inv, y);
}

/* q + qe = (x - m)/tau; qe = 0 where it is not finite (x - m or TwoSum's
   intermediate d - x overflowed: as the numpy path's "careful" pass) */
#define Q_TERMS(xv)                                                   \
    double d = (xv) - m;                                              \
    double bb = d - (xv);                                             \
    double e = ((xv) - (d - bb)) + (-m - bb);                         \
    double q = d, qe = e;                                             \
    if (scaled) {                                                     \
        q = d / tau;                                                  \
        qe = (__builtin_fma(-q, tau, d) + e) * inv_tau;               \
    }                                                                 \
    qe = qe - qe == 0.0 ? qe : 0.0; /* an intermediate overflowed */

typedef struct {
    double sum, comp;     /* Neumaier: sum + comp */
    Py_ssize_t ties, ovf; /* terms with x == m; x finite with x - m = -inf */
} Acc;

INLINE void acc_add(Acc *a, double v)
{
    double s = a->sum + v;
    a->comp += fabs(a->sum) >= fabs(v) ? (a->sum - s) + v : (v - s) + a->sum;
    a->sum = s;
}

#define LANES 8

/* acc += the sum of v[0..len), len <= BS: TwoSum in LANES lanes of a vector (gcc's
   vector extension: one AVX-512 register, two AVX2 ones), each lane's sum and error
   then added to acc */
typedef double lanes_t __attribute__((vector_size(LANES * sizeof(double))));

INLINE void lanes_sum(const double *v, Py_ssize_t len, Acc *acc)
{
    lanes_t s = {0}, c = {0};
    Py_ssize_t i = 0;
    for (; i + LANES <= len; i += LANES) {
        lanes_t x;
        memcpy(&x, v + i, sizeof x);
        lanes_t ns = s + x;
        lanes_t bb = ns - s;
        c += (s - (ns - bb)) + (x - bb);
        s = ns;
    }
    for (; i < len; i++) acc_add(acc, v[i]);
    for (int l = 0; l < LANES; l++) {
        acc_add(acc, s[l]);
        acc->comp += c[l];
    }
}

#define DEFINE_ROW(T, SUF)                                                          \
INLINE void row_max_##SUF(const T *x, Py_ssize_t n, double *mo, int *nan)           \
{                                                                                   \
    double mx = -INFINITY;                                                          \
    int bad = 0;                                                                    \
    _Pragma("omp simd reduction(max:mx) reduction(|:bad)")                          \
    for (Py_ssize_t i = 0; i < n; i++) {                                            \
        double v = x[i];                                                            \
        mx = v > mx ? v : mx;                                                       \
        bad |= v != v;                                                              \
    }                                                                               \
    *mo = mx;                                                                       \
    *nan = bad;                                                                     \
}                                                                                   \
                                                                                    \
INLINE void sum_block_##SUF(const T *x, Py_ssize_t len, double m, double tau,\
                                   double inv_tau, int scaled, double *t, Acc *acc)  \
{                                                                                   \
    double tb[BS];                                                                  \
    Py_ssize_t ties = 0, tiny = 0, ovf = 0;                                         \
    _Pragma("omp simd reduction(+:ties,tiny,ovf)")                                  \
    for (Py_ssize_t i = 0; i < len; i++) {                                          \
        double xv = x[i];                                                           \
        Q_TERMS(xv)                                                                 \
        int low = q < EXP_LO;                                                       \
        double v = exp_main(low ? 0.0 : q, low ? 0.0 : qe);                         \
        v = low ? 0.0 : v;                                                          \
        int tie = d == 0.0;                                                         \
        if (t) t[i] = v;                                                            \
        tb[i] = tie ? 0.0 : v;                                                      \
        ties += tie;                                                                \
        tiny += low & (q >= EXP_ZERO);                                              \
        ovf += (d == -INFINITY) & (xv > -INFINITY);                                 \
    }                                                                               \
    if (tiny) {                                                                     \
        for (Py_ssize_t i = 0; i < len; i++) {                                      \
            double xv = x[i];                                                       \
            Q_TERMS(xv)                                                             \
            if (q < EXP_LO && q >= EXP_ZERO) {                                      \
                double v = exp_any(q, qe);                                          \
                if (t) t[i] = v;                                                    \
                tb[i] = v;                                                          \
            }                                                                       \
        }                                                                           \
    }                                                                               \
    lanes_sum(tb, len, acc);                                                        \
    acc->ties += ties;                                                              \
    acc->ovf += ovf;                                                                \
}                                                                                   \
                                                                                    \
INLINE void row_sum_##SUF(const T *x, Py_ssize_t n, double m, double tau, double *t,\
                          Acc *acc)                                                 \
{                                                                                   \
    double inv_tau = 1.0 / tau;                                                     \
    for (Py_ssize_t b = 0; b < n; b += BS) {                                        \
        Py_ssize_t len = n - b < BS ? n - b : BS;                                   \
        if (b + PREFETCH * BS < n) /* a long row: fetch ahead, the loop is too busy */\
            for (size_t c = 0; c < BS * sizeof(T); c += 64)                         \
                __builtin_prefetch((const char *)(x + b + PREFETCH * BS) + c);      \
        if (tau == 1.0)                                                             \
            sum_block_##SUF(x + b, len, m, tau, inv_tau, 0, t ? t + b : NULL, acc); \
        else                                                                        \
            sum_block_##SUF(x + b, len, m, tau, inv_tau, 1, t ? t + b : NULL, acc); \
    }                                                                               \
}                                                                                   \
                                                                                    \
INLINE void log_row_##SUF(const T *x, Py_ssize_t n, double m, double tau,    \
                                 double inv_tau, int scaled, double lhi, double llo,\
                                 double *o64, float *o32)                           \
{                                                                                   \
    _Pragma("omp simd")                                                             \
    for (Py_ssize_t i = 0; i < n; i++) {                                            \
        double xv = x[i];                                                           \
        Q_TERMS(xv)                                                                 \
        double hi = q - lhi;                                                        \
        double b2 = hi - q;                                                         \
        double err = (q - (hi - b2)) - (lhi + b2);                                  \
        double v = hi + ((err + qe) - llo);                                         \
        v = hi > -INFINITY ? v : hi;                                                \
        if (o64) o64[i] = v; else o32[i] = (float)v;                                \
    }                                                                               \
}                                                                                   \
                                                                                    \
INLINE void soft_row32_##SUF(const T *x, Py_ssize_t n, double m, double tau,        \
                             double den, double inv, float *o32)                    \
{                                                                                   \
    double inv_tau = 1.0 / tau;                                                     \
    Py_ssize_t tiny = 0;                                                            \
    for (int scaled = 0; scaled < 2; scaled++) {                                    \
        if (scaled != (tau != 1.0)) continue;                                       \
        _Pragma("omp simd reduction(+:tiny)")                                       \
        for (Py_ssize_t i = 0; i < n; i++) {                                        \
            double xv = x[i];                                                       \
            Q_TERMS(xv)                                                             \
            int low = q < EXP_LO;                                                   \
            double v = exp_main(low ? 0.0 : q, low ? 0.0 : qe);                     \
            o32[i] = (float)quot(low ? 0.0 : v, den, inv);                          \
            tiny += low & (q >= EXP_ZERO);                                          \
        }                                                                           \
        if (tiny) {                                                                 \
            for (Py_ssize_t i = 0; i < n; i++) {                                    \
                double xv = x[i];                                                   \
                Q_TERMS(xv)                                                         \
                if (q < EXP_LO && q >= EXP_ZERO) o32[i] = (float)(exp_any(q, qe) / den);\
            }                                                                       \
        }                                                                           \
    }                                                                               \
}                                                                                   \
                                                                                    \
                                                                                    \
/* softmax or log-softmax of the n entries at x into o (float32 if f32out), the row's\
   m and rest known (softmax into float64: o holds the terms already) */            \
INLINE void finish_##SUF(int mode, const T *x, Py_ssize_t n, double m, double tau,  \
                         double rest, void *o, int f32out)                          \
{                                                                                   \
    if (mode == SOFTMAX) {                                                          \
        double den = 1.0 + rest, inv = 1.0 / den;                                   \
        if (!f32out) {                                                              \
            double *t = (double *)o;                                                \
            _Pragma("omp simd")                                                     \
            for (Py_ssize_t i = 0; i < n; i++) t[i] = quot(t[i], den, inv);         \
        } else {                                                                    \
            soft_row32_##SUF(x, n, m, tau, den, inv, (float *)o);                   \
        }                                                                           \
        return;                                                                     \
    }                                                                               \
    long double l = log1pl((long double)rest);                                      \
    double lhi = (double)l, llo = (double)(l - (long double)lhi), inv_tau = 1.0 / tau;\
    double *o64 = f32out ? NULL : (double *)o;                                      \
    float *o32 = f32out ? (float *)o : NULL;                                        \
    if (tau == 1.0)                                                                 \
        log_row_##SUF(x, n, m, tau, inv_tau, 0, lhi, llo, o64, o32);                \
    else                                                                            \
        log_row_##SUF(x, n, m, tau, inv_tau, 1, lhi, llo, o64, o32);                \
}                                                                                   \
                                                                                    \
/* rows [lo, hi) of a C-contiguous rows x n array; status[r] = 1: left to numpy */  \
CLONES static void rows_##SUF(int mode, const T *x, void *out, int f32out,          \
                              Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t n,           \
                              double tau, unsigned char *status)                    \
{                                                                                   \
    size_t osz = f32out ? sizeof(float) : sizeof(double), bytes = (size_t)n * sizeof(T);\
    Py_ssize_t ahead = 1 + (Py_ssize_t)(4096 / bytes); /* rows fetched ahead: ~4 KiB */\
    for (Py_ssize_t r = lo; r < hi; r++) {                                          \
        const T *xr = x + r * n;                                                    \
        if (bytes <= 4096 && r + ahead < hi)                                        \
            for (size_t c = 0; c < bytes; c += 64)                                  \
                __builtin_prefetch((const char *)(xr + ahead * n) + c);             \
        double m;                                                                   \
        int nan;                                                                    \
        status[r] = 0;                                                              \
        row_max_##SUF(xr, n, &m, &nan);                                             \
        if (nan || !(m > -INFINITY && m < INFINITY)) {                              \
            status[r] = 1;                                                          \
            continue;                                                               \
        }                                                                           \
        double *t = NULL;                                                           \
        if (mode == SOFTMAX && !f32out) t = (double *)out + r * n;                  \
        Acc acc = {0.0, 0.0, 0, 0};                                                 \
        row_sum_##SUF(xr, n, m, tau, t, &acc);                                      \
        double rest = (double)(acc.ties - 1) + (acc.sum + acc.comp);                \
        if ((acc.ovf && tau > 1.0) || (mode != SOFTMAX && rest > 0.0 && rest < 0x1p-1022)) {\
            status[r] = 1;                                                          \
            continue;                                                               \
        }                                                                           \
        if (mode == LSE)                                                            \
            ((double *)out)[r] = (double)((long double)m + (long double)tau * log1pl(rest));\
        else                                                                        \
            finish_##SUF(mode, xr, n, m, tau, rest, (char *)out + (size_t)(r * n) * osz, f32out);\
    }                                                                               \
}                                                                                   \
                                                                                    \
/* one long row cut into spans (threads) of segments of seg entries: its maximum, */\
CLONES static void span_max_##SUF(const T *x, Py_ssize_t lo, Py_ssize_t hi, double *m, int *nan)\
{                                                                                   \
    row_max_##SUF(x + lo, hi - lo, m, nan);                                         \
}                                                                                   \
                                                                                    \
/* the sum (sums[2k] + sums[2k + 1]) of every segment of [lo, hi), ties and overflows, */\
CLONES static void span_sum_##SUF(const T *x, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t seg,\
                                  double m, double tau, double *t, double *sums,    \
                                  Py_ssize_t *ties, Py_ssize_t *ovf)                \
{                                                                                   \
    Py_ssize_t k = 0;                                                               \
    *ties = *ovf = 0;                                                               \
    for (Py_ssize_t s0 = lo; s0 < hi; s0 += seg, k++) {                             \
        Py_ssize_t len = hi - s0 < seg ? hi - s0 : seg;                             \
        Acc acc = {0.0, 0.0, 0, 0};                                                 \
        row_sum_##SUF(x + s0, len, m, tau, t ? t + s0 : NULL, &acc);                \
        sums[2 * k] = acc.sum;                                                      \
        sums[2 * k + 1] = acc.comp;                                                 \
        *ties += acc.ties;                                                          \
        *ovf += acc.ovf;                                                            \
    }                                                                               \
}                                                                                   \
                                                                                    \
/* and the span's results once the row's rest is known */                           \
CLONES static void span_fin_##SUF(int mode, const T *x, Py_ssize_t lo, Py_ssize_t hi, double m,\
                                  double tau, double rest, void *out, int f32out)   \
{                                                                                   \
    size_t osz = f32out ? sizeof(float) : sizeof(double);                           \
    finish_##SUF(mode, x + lo, hi - lo, m, tau, rest, (char *)out + (size_t)lo * osz, f32out);\
}

DEFINE_ROW(double, f64)
DEFINE_ROW(float, f32)

CLONES static void exp_array(const double *q, const double *qe, double *out, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) out[i] = exp_any(q[i], qe[i]);
}

static int
need(Py_buffer *b, Py_ssize_t bytes, const char *what)
{
    if (b->len < bytes) {
        PyErr_Format(PyExc_ValueError, "%s holds %zd bytes, needs %zd", what, b->len, bytes);
        return 0;
    }
    return 1;
}

PyDoc_STRVAR(rows_doc,
"rows(mode, x, f32in, out, f32out, lo, hi, n, tau, status)\n\n"
"Rows [lo, hi) of the C-contiguous rows x n buffer x (float32 if f32in, else\n"
"float64) into out (softmax, log-softmax: rows x n, float32 if f32out; logsumexp:\n"
"one float64 per row). status (uint8, one per row) is set to 1 for rows left to\n"
"the numpy path. mode: 0 softmax, 1 log-softmax, 2 logsumexp. Releases the GIL.");

static PyObject *
py_rows(PyObject *self, PyObject *args)
{
    (void)self;
    int mode, f32in, f32out;
    Py_buffer x, out, status;
    Py_ssize_t lo, hi, n;
    double tau;
    if (!PyArg_ParseTuple(args, "iy*iw*innndw*", &mode, &x, &f32in, &out, &f32out, &lo, &hi,
                          &n, &tau, &status))
        return NULL;
    PyObject *res = NULL;
    Py_ssize_t per_out = mode == LSE ? 1 : n;
    if (mode < 0 || mode > 2 || lo < 0 || hi < lo || n < 1 || !(tau > 0.0)) {
        PyErr_SetString(PyExc_ValueError, "bad mode, row range, length or tau");
        goto done;
    }
    if (!need(&x, hi * n * (f32in ? 4 : 8), "x") ||
        !need(&out, hi * per_out * (f32out && mode != LSE ? 4 : 8), "out") ||
        !need(&status, hi, "status"))
        goto done;
    Py_BEGIN_ALLOW_THREADS
    if (f32in)
        rows_f32(mode, (const float *)x.buf, out.buf, f32out, lo, hi, n, tau, status.buf);
    else
        rows_f64(mode, (const double *)x.buf, out.buf, f32out, lo, hi, n, tau, status.buf);
    Py_END_ALLOW_THREADS
    res = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&x);
    PyBuffer_Release(&out);
    PyBuffer_Release(&status);
    return res;
}

PyDoc_STRVAR(span_doc,
"span(phase, mode, x, f32in, out, f32out, lo, hi, seg, m, tau, rest)\n\n"
"Entries [lo, hi) of one long row x (float32 if f32in, else float64), for threads:\n"
"phase 0 returns (max, has_nan); phase 1 returns ([sum, error] for every segment of\n"
"seg entries from lo, ties, overflows), writing the terms into out (float64) for a\n"
"softmax; phase 2 writes the results into out (float32 if f32out), rest known.\n"
"Releases the GIL.");

static PyObject *
py_span(PyObject *self, PyObject *args)
{
    int phase, mode, f32in, f32out;
    Py_buffer x, out;
    Py_ssize_t lo, hi, seg;
    double m, tau, rest;
    (void)self;
    if (!PyArg_ParseTuple(args, "iiy*iw*innnddd", &phase, &mode, &x, &f32in, &out, &f32out, &lo,
                          &hi, &seg, &m, &tau, &rest))
        return NULL;
    PyObject *res = NULL;
    double *sums = NULL;
    if (mode < 0 || mode > 2 || phase < 0 || phase > 2 || lo < 0 || hi < lo || seg < 1 ||
        !(tau > 0.0)) {
        PyErr_SetString(PyExc_ValueError, "bad phase, mode, span, segment or tau");
        goto done;
    }
    if (!need(&x, hi * (f32in ? 4 : 8), "x"))
        goto done;
    int writes = phase == 2 || (phase == 1 && mode == SOFTMAX && !f32out);
    if (writes && !need(&out, hi * (f32out && phase == 2 ? 4 : 8), "out"))
        goto done;
    if (phase == 0) {
        double mx;
        int nan;
        Py_BEGIN_ALLOW_THREADS
        if (f32in) span_max_f32(x.buf, lo, hi, &mx, &nan);
        else span_max_f64(x.buf, lo, hi, &mx, &nan);
        Py_END_ALLOW_THREADS
        res = Py_BuildValue("(dO)", mx, nan ? Py_True : Py_False);
    } else if (phase == 1) {
        Py_ssize_t nseg = (hi - lo + seg - 1) / seg, ties, ovf;
        sums = PyMem_Malloc(sizeof(double) * 2 * (nseg + 1));
        if (sums == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        double *t = writes ? (double *)out.buf : NULL;
        Py_BEGIN_ALLOW_THREADS
        if (f32in) span_sum_f32(x.buf, lo, hi, seg, m, tau, t, sums, &ties, &ovf);
        else span_sum_f64(x.buf, lo, hi, seg, m, tau, t, sums, &ties, &ovf);
        Py_END_ALLOW_THREADS
        PyObject *list = PyList_New(2 * nseg);
        if (list == NULL) goto done;
        for (Py_ssize_t k = 0; k < 2 * nseg; k++) {
            PyObject *v = PyFloat_FromDouble(sums[k]);
            if (v == NULL) {
                Py_DECREF(list);
                goto done;
            }
            PyList_SET_ITEM(list, k, v);
        }
        res = Py_BuildValue("(Nnn)", list, ties, ovf);
    } else {
        Py_BEGIN_ALLOW_THREADS
        if (f32in) span_fin_f32(mode, x.buf, lo, hi, m, tau, rest, out.buf, f32out);
        else span_fin_f64(mode, x.buf, lo, hi, m, tau, rest, out.buf, f32out);
        Py_END_ALLOW_THREADS
        res = Py_NewRef(Py_None);
    }
done:
    PyMem_Free(sums);
    PyBuffer_Release(&x);
    PyBuffer_Release(&out);
    return res;
}

PyDoc_STRVAR(exp_doc,
"exp(q, qe, out)\n\nout = exp(q + qe) for float64 buffers, q <= 0 (the kernel's own exp).");

static PyObject *
py_exp(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer q, qe, out;
    if (!PyArg_ParseTuple(args, "y*y*w*", &q, &qe, &out)) return NULL;
    PyObject *res = NULL;
    Py_ssize_t n = q.len / 8;
    if (qe.len / 8 != n || out.len / 8 != n) {
        PyErr_SetString(PyExc_ValueError, "q, qe and out differ in length");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    exp_array(q.buf, qe.buf, out.buf, n);
    Py_END_ALLOW_THREADS
    res = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&q);
    PyBuffer_Release(&qe);
    PyBuffer_Release(&out);
    return res;
}

static PyObject *
py_table(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    PyObject *res = PyList_New(NT);
    if (res == NULL) return NULL;
    for (int j = 0; j < NT; j++) {
        PyObject *pair = Py_BuildValue("(dd)", TABLE[j][0], TABLE[j][1]);
        if (pair == NULL) {
            Py_DECREF(res);
            return NULL;
        }
        PyList_SET_ITEM(res, j, pair);
    }
    return res;
}

static PyObject *
py_isa(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return PyUnicode_FromString("x86-64-v4");
    if (__builtin_cpu_supports("x86-64-v3")) return PyUnicode_FromString("x86-64-v3");
#endif
    return PyUnicode_FromString("default");
}

static PyMethodDef methods[] = {
    {"rows", py_rows, METH_VARARGS, rows_doc},
    {"span", py_span, METH_VARARGS, span_doc},
    {"exp", py_exp, METH_VARARGS, exp_doc},
    {"table", py_table, METH_NOARGS, "The table of 2^(j/128): [(nearest double, relative tail)]."},
    {"isa", py_isa, METH_NOARGS, "The instruction set whose clone of the loops runs here."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_rowkernel",
    "The optional compiled row kernel (see softmax_cli/_accel.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__rowkernel(void)
{
    for (int j = 0; j < NT; j++) {
        TB[j] = as_bits(TABLE[j][0]) - ((uint64_t)j << (52 - TBITS));
        TT[j] = TABLE[j][1];
    }
    return PyModule_Create(&module);
}
