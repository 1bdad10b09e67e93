/* The optional compiled float formatter: rows of float64 or float32 as CSV/TSV text.

   Python side: softmax_cli/io/floattext.py (compiled_rows) and io/writers.py
   (_fast_rows), which fall back to polars or to repr when this module is not built.
   The text is byte for byte what softmax_cli.io.floattext.format_floats gives:

   * float64: Python's repr, i.e. the shortest digits that read back to the same
     double (the closest such on a tie of length, the even one on an exact tie),
     positional for decimal exponents -4 ... 15 ("0.0001", "1234.0"), else
     "d.ddde-05" / "1e+16" (at least two exponent digits); "-0.0", "nan", "inf".
   * float32: the least precision p >= 6 for which "%.{p}g" reads back (through
     float64) to the same float32, found as _format_bisect does (p = 7 first, then
     6, or 8, then 9); subnormals and powers of two take numpy's str() of the
     float32 when that is shorter and reads back (format_floats' own rule).

   Shortest digits: the Schubfach algorithm,
     R. Giulietti, "The Schubfach way to render doubles" (2020, revised 2021),
     https://drive.google.com/file/d/1gp5xv4CAa78SVgCeWfGqqI4FfYYYuNFb
   Written from the paper: the value c 2^q has the rounding interval R = [u, w]
   (boundaries included when c is even); with k = floor(log10 2^q) (log10 of
   3/4 2^q when the lower neighbour is closer, at a power of two) the three
   points 4u, 4v, 4w are scaled by 10^-k and rounded to odd with two extra bits
   (rop below): s = floor(v 10^-k) has 16-17 digits for a double, and the
   shortest decimal in R is either the one multiple of 10^(k+1) in R (if
   exactly one of s' = 10 floor(s/10) and s' + 10 is in R), or one of s, s + 1,
   the closer to v (the even one on a tie) when exactly one is not in R.  The
   paper proves the 126-bit g = floor(10^-k 2^r) + 1 suffices; here g is the
   128-bit floor mantissa of 10^-k from softmax_cli/_pow10.h, plus one, and the
   products keep the 64 bits above the low word (as the paper's rop does, which
   makes an exact integer product read as exact though g is one unit high).

   float32 uses the same scaled values: p = max(6, n) digits for n shortest
   digits, except where "%.7g" might not equal the shortest digits padded
   (n <= 6 and the 7-digit rounding of v, decided exactly from the round-to-odd
   4v 10^-k against the even multiples of half a 7-digit unit, is not those
   digits), powers of two and subnormals: there snprintf's correctly rounded
   "%.{p}g" and strtod are asked, as the Python code does.

   A batch's rows are split into ranges, one thread each (no text depends on the
   number of threads); the GIL is released while formatting. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "_pow10.h"

typedef unsigned __int128 u128;

/* Longest text of one value: "-1.2345678901234567e-100" (24), float32 "-9007199000000000.0"
   (numpy's positional text of a power of two, 19). */
#define MAX_F64 24
#define MAX_F32 24
#define MAX_THREADS 8

static const char DIG2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static const uint64_t P10[20] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
    100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
    10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
    100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

/* Number of decimal digits of d >= 1. */
static inline int
ndigits(uint64_t d)
{
    int t = ((64 - __builtin_clzll(d)) * 1233) >> 12; /* floor or one below log10(d) + 1 */
    return t + (t < 20 && d >= P10[t]);
}

/* The n digits of d at p[0 .. n-1]. */
static inline void
put_digits(char *p, uint64_t d, int n)
{
    char *e = p + n;
    while (d >= 100000000u) {
        uint64_t q = d / 100000000u;
        uint32_t r = (uint32_t)(d - q * 100000000u);
        uint32_t hi = r / 10000, lo = r - hi * 10000;
        memcpy(e - 2, DIG2 + 2 * (lo % 100), 2);
        memcpy(e - 4, DIG2 + 2 * (lo / 100), 2);
        memcpy(e - 6, DIG2 + 2 * (hi % 100), 2);
        memcpy(e - 8, DIG2 + 2 * (hi / 100), 2);
        e -= 8;
        d = q;
    }
    uint32_t r = (uint32_t)d;
    while (r >= 100) {
        uint32_t q = r / 100;
        e -= 2;
        memcpy(e, DIG2 + 2 * (r - q * 100), 2);
        r = q;
    }
    if (r >= 10) {
        e -= 2;
        memcpy(e, DIG2 + 2 * r, 2);
    } else {
        *--e = (char)('0' + r);
    }
}

/* A product g cp of up to 192 bits: hi = floor(g cp / 2^64), lo = the low 64 bits. */
typedef struct {
    u128 hi;
    uint64_t lo;
} wide;

static inline wide
mul(uint64_t ghi, uint64_t glo, uint64_t cp)
{
    u128 x = (u128)cp * glo;
    wide r = {(u128)cp * ghi + (uint64_t)(x >> 64), (uint64_t)x};
    return r;
}

/* g 2^s, 0 <= s <= 4 */
static inline wide
shifted(uint64_t ghi, uint64_t glo, int s)
{
    wide r = {s ? (((u128)ghi << 64) | glo) >> (64 - s) : (u128)ghi, glo << s};
    return r;
}

static inline wide
plus(wide a, wide b)
{
    wide r = {a.hi + b.hi, a.lo + b.lo};
    r.hi += r.lo < a.lo;
    return r;
}

static inline wide
minus(wide a, wide b)
{
    wide r = {a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo};
    return r;
}

/* floor(g cp / 2^127) rounded to odd: the paper's rop, which reads only the bits from 2^64
   up (so a product one unit of g above an integer still reads as that integer). The three
   points share one multiplication: g (cb +- 2) 2^h = g cb 2^h +- g 2^(h+1), exactly. */
static inline uint64_t
rop(wide p)
{
    return (uint64_t)(p.hi >> 63) | ((uint64_t)p.hi != 0);
}

typedef struct {
    uint64_t d; /* digits, trailing zeros removed */
    int e;      /* value = d 10^e */
    int n;      /* digits in d */
    int k;      /* the scale: vb = rop(4 v 10^-k) */
    uint64_t vb;
} decimal;

/* Strip trailing zeros and count the digits. */
static inline void
tidy(decimal *r)
{
    if (r->d % 10 == 0) {
        do {
            r->d /= 10;
            r->e++;
        } while (r->d % 10 == 0);
    }
    r->n = ndigits(r->d);
}

/* The shortest decimal in the rounding interval of c 2^q (c > 0); lower_closer at a power
   of two whose lower neighbour is nearer. */
static inline decimal
shortest(uint64_t c, int q, int lower_closer)
{
    decimal r;
    int even = (c & 1) == 0;
    uint64_t cb = c << 2;
    /* floor(q log10 2), or floor(log10(3/4 2^q)): 1262611 / 2^22 = log10 2 to 22 bits,
       524031 / 2^22 = -log10(3/4); exact for |q| <= 1500 (checked in the tests) */
    int k = (q * 1262611 - (lower_closer ? 524031 : 0)) >> 22;
    int row = -k - POW10_MIN;
    /* 10^-k = (M + f) 2^e: g = M + 1, and h = q + floor(log2 10^-k) = q + e + 127 */
    int h = q + POW10_EXP[row] + 127;
    uint64_t ghi = POW10_M[row][0], glo = POW10_M[row][1] + 1;
    ghi += glo == 0;
    wide pb = mul(ghi, glo, cb << h);
    uint64_t vb = rop(pb);
    uint64_t vbr = rop(plus(pb, shifted(ghi, glo, h + 1)));                /* cbr = cb + 2 */
    uint64_t vbl = rop(minus(pb, shifted(ghi, glo, h + 1 - lower_closer))); /* cb - 2 or 1 */
    uint64_t lower = vbl + !even, upper = vbr - !even;
    uint64_t s = vb >> 2;
    r.k = k;
    r.vb = vb;
    if (s >= 10) {
        uint64_t sp = s / 10;
        int up = lower <= 40 * sp, wp = 40 * sp + 40 <= upper;
        if (up != wp) {
            r.d = sp + wp;
            r.e = k + 1;
            tidy(&r);
            return r;
        }
    }
    int u = lower <= 4 * s, w = 4 * s + 4 <= upper;
    r.e = k;
    if (u != w) {
        r.d = s + w;
    } else {
        uint64_t mid = 4 * s + 2;
        r.d = s + (vb > mid || (vb == mid && (s & 1)));
    }
    tidy(&r);
    return r;
}

/* "d.ddde-05": the scientific layout of Python's repr, %g and numpy alike. */
static inline char *
put_sci(char *p, const decimal *r)
{
    int x = r->n - 1 + r->e;
    put_digits(p + 1, r->d, r->n);
    p[0] = p[1];
    if (r->n > 1) {
        p[1] = '.';
        p += r->n + 1;
    } else {
        p += 1;
    }
    *p++ = 'e';
    *p++ = x < 0 ? '-' : '+';
    unsigned ax = (unsigned)(x < 0 ? -x : x);
    if (ax >= 100) {
        *p++ = (char)('0' + ax / 100);
        ax %= 100;
    }
    memcpy(p, DIG2 + 2 * ax, 2);
    return p + 2;
}

/* Positional text; an integer gets ".0" when dot_zero (repr, numpy), nothing (%g). */
static inline char *
put_fixed(char *p, const decimal *r, int dot_zero)
{
    int n = r->n, x = n - 1 + r->e;
    if (x < 0) { /* x >= -4 here (-5 and below are scientific), "0.000" at most */
        int z = -x - 1;
        memcpy(p, "0.000", 5);
        put_digits(p + 2 + z, r->d, n);
        return p + 2 + z + n;
    }
    if (x >= n - 1) { /* x <= 15 here: at most 15 zeros */
        put_digits(p, r->d, n);
        memcpy(p + n, "0000000000000000", 16);
        p += x + 1;
        if (dot_zero) {
            p[0] = '.';
            p[1] = '0';
            p += 2;
        }
        return p;
    }
    /* digits on both sides of the point: write them one place right, pull the head back */
    put_digits(p + 1, r->d, n);
    memmove(p, p + 1, (size_t)x + 1);
    p[x + 1] = '.';
    return p + n + 1;
}

/* "nan" (no sign, whatever the payload: repr and %g alike), "inf" or "-inf" */
static inline char *
put_nonfinite(char *p, int nan, int neg)
{
    if (!nan && neg) *p++ = '-';
    memcpy(p, nan ? "nan" : "inf", 3);
    return p + 3;
}

/* repr(v) */
static inline char *
put_f64(char *p, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    uint64_t mant = bits & ((1ull << 52) - 1);
    int be = (int)((bits >> 52) & 0x7ff);
    if (be == 0x7ff) return put_nonfinite(p, mant != 0, (int)(bits >> 63));
    if (bits >> 63) *p++ = '-';
    if (be == 0 && mant == 0) {
        memcpy(p, "0.0", 3);
        return p + 3;
    }
    decimal r;
    uint64_t c = be ? mant | (1ull << 52) : mant;
    int q = be ? be - 1075 : -1074;
    if (be && q <= 0 && q > -53 && (c & ((1ull << -q) - 1)) == 0) {
        /* an integer below 2^53: its own digits are the shortest */
        r.d = c >> -q;
        r.e = 0;
        tidy(&r);
    } else {
        r = shortest(c, q, mant == 0 && be > 1);
    }
    int x = r.n - 1 + r.e;
    if (x < -4 || x >= 16) return put_sci(p, &r);
    return put_fixed(p, &r, 1);
}

/* ---- float32 ----------------------------------------------------------------------- */

/* Whether text (a %g or numpy string) reads back to f through float64, as numpy's
   np.array(strs, dtype=np.float64).astype(np.float32) does. */
static int
reads_back(const char *text, float f)
{
    float g = (float)strtod(text, NULL);
    uint32_t a, b;
    memcpy(&a, &f, 4);
    memcpy(&b, &g, 4);
    return a == b;
}

/* _format_bisect for one value: %.7g, then %.6g or %.8g, then %.9g; then numpy's str()
   where format_floats prefers it (subnormals, powers of two). */
static char *
put_f32_slow(char *p, float f, int special)
{
    char best[48], other[48];
    double w = f;
    int len = snprintf(best, sizeof best, "%.7g", w);
    if (reads_back(best, f)) {
        int l6 = snprintf(other, sizeof other, "%.6g", w);
        if (reads_back(other, f)) {
            memcpy(best, other, (size_t)l6 + 1);
            len = l6;
        }
    } else {
        len = snprintf(best, sizeof best, "%.8g", w);
        if (!reads_back(best, f)) len = snprintf(best, sizeof best, "%.9g", w);
    }
    if (special) {
        uint32_t bits;
        memcpy(&bits, &f, 4);
        uint32_t mant = bits & 0x7fffffu;
        int be = (int)((bits >> 23) & 0xff);
        uint64_t c = be ? mant | (1u << 23) : mant;
        int q = be ? be - 150 : -149;
        decimal r = shortest(c, q, mant == 0 && be > 1);
        char *o = other;
        if (bits >> 31) *o++ = '-';
        double a = w < 0 ? -w : w;
        o = (a >= 1e-4 && a < 1e6) ? put_fixed(o, &r, 1) : put_sci(o, &r);
        *o = 0;
        int cl = (int)(o - other);
        if (cl < len && reads_back(other, f)) {
            memcpy(best, other, (size_t)cl + 1);
            len = cl;
        }
    }
    memcpy(p, best, (size_t)len);
    return p + len;
}

/* format_floats' text of float32 f */
static inline char *
put_f32(char *p, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    uint32_t mant = bits & 0x7fffffu;
    int be = (int)((bits >> 23) & 0xff);
    if (be == 0xff) return put_nonfinite(p, mant != 0, (int)(bits >> 31));
    if (be == 0 || mant == 0) {
        if (be == 0 && mant == 0) {
            if (bits >> 31) *p++ = '-';
            *p = '0';
            return p + 1;
        }
        return put_f32_slow(p, f, 1);
    }
    decimal r = shortest(mant | (1u << 23), be - 150, 0);
    int x = r.n - 1 + r.e;
    int prec = r.n;
    if (r.n <= 6) {
        /* %.7g must give these digits: v within half a unit of the 7th digit of them, x
           also the exponent of v (4v 10^-k against 4 * 10^(x-k), an even number) */
        int j7 = x - 6;
        uint64_t f7 = P10[j7 - r.k];         /* a 7-digit unit in units of 10^k */
        uint64_t d7 = r.d * P10[7 - r.n];    /* the digits as 7 */
        uint64_t at = 4 * f7 * d7, half = 2 * f7;
        uint64_t dist = r.vb > at ? r.vb - at : at - r.vb;
        int ok = dist < half || (dist == half && (d7 & 1) == 0);
        if (!ok || r.vb < 4 * P10[x - r.k]) return put_f32_slow(p, f, 0);
        prec = 6;
    }
    if (bits >> 31) *p++ = '-';
    if (x < -4 || x >= prec) return put_sci(p, &r);
    return put_fixed(p, &r, 0);
}

/* ---- rows -------------------------------------------------------------------------- */

/* a row's leading text (its id and the delimiter after it), ASCII */
typedef struct {
    const char *text;
    Py_ssize_t len;
} lead;

typedef struct {
    const char *x; /* the first value of the range */
    const lead *ids; /* the range's first id, or NULL */
    int f32;
    Py_ssize_t rows, cols;
    char delim;
    char *out; /* room for the range's text and SLACK */
    Py_ssize_t len;
} job;

/* bytes a value may write past its own text (put_fixed's block of zeros) */
#define SLACK 32

static void *
run(void *arg)
{
    job *j = arg;
    char *p = j->out;
    const float *v32 = (const float *)j->x;
    const double *v64 = (const double *)j->x;
    for (Py_ssize_t r = 0; r < j->rows; r++) {
        if (j->ids) {
            memcpy(p, j->ids[r].text, (size_t)j->ids[r].len);
            p += j->ids[r].len;
            *p++ = j->delim;
        }
        if (j->f32) {
            for (Py_ssize_t c = 0; c < j->cols; c++) {
                p = put_f32(p, *v32++);
                *p++ = j->delim;
            }
        } else {
            for (Py_ssize_t c = 0; c < j->cols; c++) {
                p = put_f64(p, *v64++);
                *p++ = j->delim;
            }
        }
        p[-1] = '\n';
    }
    j->len = p - j->out;
    return NULL;
}

/* The ids as leads (NULL with *ascii = 0 if one is not ASCII text); NULL and an exception
   when ids is not a list of rows str. */
static lead *
leads(PyObject *ids, Py_ssize_t rows, Py_ssize_t *total, int *ascii)
{
    *total = 0;
    *ascii = 1;
    if (!PyList_Check(ids) || PyList_GET_SIZE(ids) != rows) {
        PyErr_SetString(PyExc_ValueError, "ids must be a list of one str per row");
        return NULL;
    }
    lead *out = PyMem_Malloc(sizeof(lead) * (size_t)(rows ? rows : 1));
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t r = 0; r < rows; r++) {
        PyObject *t = PyList_GET_ITEM(ids, r);
        if (!PyUnicode_Check(t)) {
            PyErr_SetString(PyExc_ValueError, "ids must be a list of one str per row");
            PyMem_Free(out);
            return NULL;
        }
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(t) < 0) {
            PyMem_Free(out);
            return NULL;
        }
#endif
        if (!PyUnicode_IS_ASCII(t)) {
            *ascii = 0;
            PyMem_Free(out);
            return NULL;
        }
        out[r].text = (const char *)PyUnicode_DATA(t);
        out[r].len = PyUnicode_GET_LENGTH(t);
        *total += out[r].len + 1;
    }
    return out;
}

PyDoc_STRVAR(rows_doc,
"rows(x, f32, rows, cols, delim, threads=1, ids=None) -> str or None\n\n"
"The rows x cols C-contiguous values in buffer x (float32 if f32, else float64) as text:\n"
"each value as format_floats writes it, delim (one ASCII character) between the values\n"
"of a row, a newline between rows, none at the end; ids (a list of one str per row, as\n"
"they are to be written) puts each row's id and a delim before its values. threads > 1\n"
"splits the rows into that many ranges formatted at once (the text is the same). Releases\n"
"the GIL. None where an id is not ASCII, and for float32 under a C locale whose decimal\n"
"point is not '.'.");

static PyObject *
py_rows(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer x;
    int f32, threads = 1;
    Py_ssize_t rows, cols;
    const char *delim;
    Py_ssize_t dlen;
    PyObject *ids = Py_None;
    if (!PyArg_ParseTuple(args, "y*inns#|iO", &x, &f32, &rows, &cols, &delim, &dlen, &threads,
                          &ids))
        return NULL;
    PyObject *res = NULL;
    lead *heads = NULL;
    job jobs[MAX_THREADS];
    Py_ssize_t size = f32 ? 4 : 8, per = (f32 ? MAX_F32 : MAX_F64) + 1, idbytes = 0;
    if (rows < 0 || cols < 1 || dlen != 1 || (unsigned char)delim[0] > 127 || threads < 1) {
        PyErr_SetString(PyExc_ValueError, "bad shape, delimiter or thread count");
        goto done;
    }
    if (cols > PY_SSIZE_T_MAX / 64 / (rows ? rows : 1) || x.len < rows * cols * size) {
        PyErr_SetString(PyExc_ValueError, "the buffer is smaller than rows x cols values");
        goto done;
    }
    if (ids != Py_None) {
        int ascii;
        heads = leads(ids, rows, &idbytes, &ascii);
        if (heads == NULL) {
            if (!ascii) res = Py_NewRef(Py_None);
            goto done;
        }
    }
    if (rows == 0) {
        res = PyUnicode_New(0, 127);
        goto done;
    }
    /* the float32 text asks snprintf and strtod at times: under a locale whose decimal
       point is not "." (a program's setlocale), leave the job to the Python paths */
    const char *point = localeconv()->decimal_point;
    if (f32 && (point[0] != '.' || point[1] != 0)) {
        res = Py_NewRef(Py_None);
        goto done;
    }
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > rows) threads = (int)rows;
    /* The text is written straight into a str of the greatest length, each range of rows
       at its own offset; the ranges are then moved together and the str cut to length
       (pages never written are never touched). */
    res = PyUnicode_New(rows * cols * per + idbytes + threads * SLACK, 127);
    if (res == NULL) goto done;
    char *base = (char *)PyUnicode_DATA(res), *o = base;
    for (Py_ssize_t lo = 0, t = 0; t < threads; t++) {
        Py_ssize_t hi = rows * (t + 1) / threads;
        jobs[t].x = (const char *)x.buf + lo * cols * size;
        jobs[t].ids = heads ? heads + lo : NULL;
        jobs[t].f32 = f32;
        jobs[t].rows = hi - lo;
        jobs[t].cols = cols;
        jobs[t].delim = delim[0];
        jobs[t].out = o;
        o += (hi - lo) * cols * per + SLACK;
        for (Py_ssize_t r = lo; heads && r < hi; r++) o += heads[r].len + 1;
        lo = hi;
    }
    Py_BEGIN_ALLOW_THREADS
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, run, &jobs[t]) == 0;
    run(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t]) pthread_join(tid[t], NULL);
        else run(&jobs[t]);
    }
    o = base + jobs[0].len;
    for (int t = 1; t < threads; t++) {
        memmove(o, jobs[t].out, (size_t)jobs[t].len);
        o += jobs[t].len;
    }
    Py_END_ALLOW_THREADS
    if (PyUnicode_Resize(&res, o - base - 1) < 0) /* each range ends in a newline: not the last */
        res = NULL;  /* PyUnicode_Resize dropped it */
done:
    PyMem_Free(heads);
    PyBuffer_Release(&x);
    return res;
}

PyDoc_STRVAR(log10_doc,
"log10_steps(q, three_quarters) -> int\n\n"
"The k the formatter uses for 2^q: floor(log10(2^q)), or floor(log10(3/4 2^q)) (for tests).");

static PyObject *
py_log10(PyObject *self, PyObject *args)
{
    (void)self;
    int q, tq;
    if (!PyArg_ParseTuple(args, "ip", &q, &tq)) return NULL;
    return PyLong_FromLong((q * 1262611 - (tq ? 524031 : 0)) >> 22);
}

static PyMethodDef methods[] = {
    {"rows", py_rows, METH_VARARGS, rows_doc},
    {"log10_steps", py_log10, METH_VARARGS, log10_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_floattext",
    "The optional compiled float formatter (see softmax_cli/io/floattext.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__floattext(void)
{
    return PyModule_Create(&module);
}
