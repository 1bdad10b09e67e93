/* The optional compiled block parser behind the CSV/TSV engine (softmax_cli/io/engine.py).

   parse_block(block, delim, width, dtype) reads a block of whole lines, each exactly
   `width` plain decimal numbers separated by `delim` and ended by '\n', into a new
   (rows, width) float64 or float32 array; it returns None for anything else, and the
   engine hands that block to the exact reader (io/read/delimited.py), which names the
   problem. "Plain" is the exact reader's grammar (Python's float()) within the bytes
   0-9 . e E + - :

       token := [+-]? (digits ['.' [digits]] | '.' digits) [[eE] [+-]? digits]

   Anything else (another byte, an empty field, a blank or ragged line, a token like
   1e, +-1, ., 1.2.3) gives None, as does a literal that overflows the dtype (1e400,
   or 1e39 in float32): the exact reader's overflow error. Underflow gives 0 or a
   subnormal, as float() does.

   Values are rounded once, to nearest even, from the decimal text to the dtype
   (float32 directly, never through float64). A token with significand w (its first
   19 significant digits) and decimal exponent q is converted by the first of:

   * Clinger's exact path (W. D. Clinger, "How to read floating point numbers
     accurately", PLDI 1990): w <= 2^53 and |q| <= 22 (float32: w <= 2^24,
     |q| <= 10) -- w and 10^|q| are exact in the dtype, so one IEEE multiply or
     divide rounds once.
   * Eisel-Lemire (D. Lemire, "Number parsing at a gigabyte per second", Software:
     Practice and Experience 51(8), 2021, section 5; the algorithm of M. Eisel):
     w normalised to 64 bits times the 128-bit floor mantissa of 10^q from
     softmax_cli/_pow10.h, first by its high word; when the discarded low part
     could still carry into the bits that decide the result, by its low word too.
     It gives up when the bits kept cannot decide (a possible carry into the
     mantissa, or a possible exact tie between two floats), and on a subnormal
     result.  A token of more than 19 significant digits is truncated to w and
     converted as w and as w + 1: the same float both ways is the answer.
   * Otherwise (Eisel-Lemire gave up, or w and w + 1 differ): strtod_l or strtof_l
     in the "C" locale, which glibc rounds correctly from the whole text.

   The GIL is released while a block is parsed; with threads=2 the block is split at
   a line boundary and the second half is parsed on a second thread.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__APPLE__)
#include <xlocale.h>
#endif

#include "_pow10.h"

#if defined(__SIZEOF_INT128__)
#define HAVE_U128 1
typedef unsigned __int128 u128;
#else
#define HAVE_U128 0
#endif

/* Clinger's path needs IEEE arithmetic in the operand's own precision (no x87) */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define HAVE_CLINGER 1
#else
#define HAVE_CLINGER 0
#endif

static locale_t c_locale;

static const double P10[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};
static const float P10F[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                               1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

/* The format of one dtype: explicit mantissa bits, exponent bias, the biased
   exponent of infinity. */
typedef struct {
    int mbits, bias, infexp;
} fmt_t;
static const fmt_t F64 = {52, 1023, 2047};
static const fmt_t F32 = {23, 127, 255};

/* Eisel-Lemire: the bits (sign not set) of w * 10^q rounded to nearest even in
   format f, for w != 0 and POW10_MIN <= q <= POW10_MAX; 0 when it cannot decide
   (or the result is subnormal), 1 with *bits set otherwise (infinity included). */
static int
eisel_lemire(uint64_t w, int64_t q, fmt_t f, uint64_t *bits)
{
#if HAVE_U128
    /* 10^q = (M + g) 2^e, M = hi 2^64 + lo, 0 <= g < 1.  With W = w 2^l in
       [2^63, 2^64), w 10^q = X 2^(e - l) where X = W (M + g) lies in
       [W M, W M + W).  Z = W hi (128 bits) is X / 2^64 less under W. */
    int l = __builtin_clzll(w);
    uint64_t W = w << l;
    const uint64_t *T = POW10_M[q - POW10_MIN];
    int e = POW10_EXP[q - POW10_MIN];
    u128 z = (u128)W * T[0];
    uint64_t zh = (uint64_t)(z >> 64), zl = (uint64_t)z;
    int low = 61 - f.mbits; /* bits of zh below the mantissa and its rounding bit, less 1 */
    uint64_t mask = (UINT64_C(1) << low) - 1;
    if ((zh & mask) == mask && zl + W < zl) {
        /* the missing W lo / 2^64 (< W) may carry into zh: add it; X / 2^64 is
           now Z plus under 2, and zh is exact unless zl is all ones and the
           dropped low word and W g could carry too */
        u128 y = (u128)W * T[1];
        uint64_t yh = (uint64_t)(y >> 64), yl = (uint64_t)y;
        uint64_t nzl = zl + yh;
        zh += nzl < zl;
        zl = nzl;
        if ((zh & mask) == mask && zl == UINT64_MAX && yl + W < yl) return 0;
    }
    int upper = (int)(zh >> 63);
    int shift = upper + low;                /* m: mantissa and rounding bit */
    uint64_t m = zh >> shift;
    uint64_t below = zh & ((UINT64_C(1) << shift) - 1);
    /* a rounding bit with nothing seen below it, after an even mantissa: an exact
       tie (to even: down) or just above one (up) -- the kept bits cannot tell */
    if (zl == 0 && below == 0 && (m & 3) == 1) return 0;
    m = (m + (m & 1)) >> 1; /* to nearest; value = m 2^e2 */
    int64_t e2 = (int64_t)shift + 129 + e - l;
    if (m >> (f.mbits + 1)) { /* rounded up to the next power of 2 */
        m >>= 1;
        e2++;
    }
    int64_t biased = e2 + f.mbits + f.bias;
    if (biased <= 0) return 0; /* subnormal or zero: the slow path rounds it */
    if (biased >= f.infexp) {
        *bits = (uint64_t)f.infexp << f.mbits;
        return 1;
    }
    *bits = ((uint64_t)biased << f.mbits) | (m & ((UINT64_C(1) << f.mbits) - 1));
    return 1;
#else
    (void)w; (void)q; (void)f; (void)bits;
    return 0;
#endif
}

/* The slow path: the whole token [s, t) through the C library, correctly rounded. */
static double
slow_token(const char *s, const char *t, int f32, int *ok)
{
    char small[80];
    size_t n = (size_t)(t - s);
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (buf == NULL) {
        *ok = 0;
        return 0.0;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    double v = f32 ? (double)strtof_l(buf, &end, c_locale) : strtod_l(buf, &end, c_locale);
    *ok = end == buf + n;
    if (buf != small) free(buf);
    return v;
}

#define IS_DIGIT(c) ((unsigned char)((c) - '0') < 10)

/* Eight digits at a time (SWAR), on little-endian machines: the bytes at p as one
   word, byte k the k-th character. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HAVE_SWAR 1
#else
#define HAVE_SWAR 0
#endif

static inline uint64_t
load8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* every byte of v in '0'..'9': no high nibble but 3, and adding 6 carries none to 0x3A */
static inline int
eight_digits(uint64_t v)
{
    uint64_t hi = v & UINT64_C(0xF0F0F0F0F0F0F0F0);
    uint64_t over = (v + UINT64_C(0x0606060606060606)) & UINT64_C(0xF0F0F0F0F0F0F0F0);
    return (hi | (over >> 4)) == UINT64_C(0x3333333333333333);
}

/* the value of eight digit bytes: pairs, then fours, then the eight (the first
   character, the lowest byte, the most significant digit) */
static inline uint64_t
eight_value(uint64_t v)
{
    v -= UINT64_C(0x3030303030303030);
    v = (v * 10 + (v >> 8)) & UINT64_C(0x00FF00FF00FF00FF);
    v = (v * 100 + (v >> 16)) & UINT64_C(0x0000FFFF0000FFFF);
    return (v * 10000 + (v >> 32)) & UINT64_C(0xFFFFFFFF);
}

/* digits from p on into w (wrapping past 19 digits: the caller counts them) */
static inline const char *
digits(const char *p, const char *end, uint64_t *w)
{
    uint64_t x = *w;
#if HAVE_SWAR
    while (end - p >= 8) {
        uint64_t v = load8(p);
        if (!eight_digits(v)) break;
        x = x * 100000000 + eight_value(v);
        p += 8;
    }
#else
    (void)end;
#endif
    while (IS_DIGIT(*p)) {
        x = x * 10 + (uint64_t)(*p - '0');
        p++;
    }
    *w = x;
    return p;
}

/* One field at *pp (the block ends in '\n', so every scan stops): its value into
   *out as float64 or float32 bits; *pp moved past it. 0: not a plain number, or an
   overflow. */
static int
field(const char **pp, const char *end, int f32, double *d, float *fl)
{
    const char *s = *pp, *p = s;
    int neg = 0;
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        p++;
    }
    const char *ds = p;
    uint64_t w = 0;
    p = digits(p, end, &w);
    const char *de = p; /* end of the integer digits */
    int64_t nfrac = 0;
    const char *fs = p, *fe = p;
    if (*p == '.') {
        p++;
        fs = p;
        p = digits(p, end, &w);
        fe = p;
        nfrac = fe - fs;
    }
    int64_t ndig = (de - ds) + nfrac;
    if (ndig == 0) return 0; /* "", "+", "-", ".", "e5", "+.e1" */
    int64_t ex = 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        int eneg = 0;
        if (*p == '-' || *p == '+') {
            eneg = *p == '-';
            p++;
        }
        const char *es = p;
        while (IS_DIGIT(*p)) {
            if (ex < 100000000) ex = ex * 10 + (*p - '0'); /* beyond: 0 or inf anyway */
            p++;
        }
        if (p == es) return 0; /* "1e", "1e+" */
        /* an exponent past 10^8 is 0 or inf whatever ~10^7 digits say; a token of more
           digits than that with it (a gigabyte) is left to the exact reader */
        if (ex >= 100000000 && ndig >= 10000000) return 0;
        if (eneg) ex = -ex;
    }
    *pp = p;
    int64_t q = ex - nfrac;
    int truncated = 0;
    if (ndig > 19) {
        /* more than 19 digits, leading zeros included: w again from the first 19
           significant ones.  The number is D 10^(ex - nfrac) with D all ndig digits;
           dropping D's last ndig - lead - taken digits leaves w, times that power */
        int64_t lead = 0, taken = 0;
        w = 0;
        for (const char *c = ds; c < fe && !truncated; c++) {
            if (c == de) { /* the point */
                c = fs - 1;
                continue;
            }
            if (taken == 0 && *c == '0') {
                lead++;
            } else if (taken < 19) {
                w = w * 10 + (uint64_t)(*c - '0');
                taken++;
            } else if (*c != '0') {
                truncated = 1;
            }
        }
        q = ex - nfrac + (ndig - lead - taken);
    }
    if (w == 0) {
        if (f32) *fl = neg ? -0.0f : 0.0f;
        else *d = neg ? -0.0 : 0.0;
        return 1;
    }
#if HAVE_CLINGER
    if (!f32 && !truncated && w <= (UINT64_C(1) << 53) && q >= -22 && q <= 22) {
        double v = (double)w;
        v = q < 0 ? v / P10[-q] : v * P10[q];
        *d = neg ? -v : v;
        return 1;
    }
    if (f32 && !truncated && w <= (UINT64_C(1) << 24) && q >= -10 && q <= 10) {
        float v = (float)w;
        v = q < 0 ? v / P10F[-q] : v * P10F[q];
        *fl = neg ? -v : v;
        return 1;
    }
#endif
    fmt_t f = f32 ? F32 : F64;
    uint64_t bits = 0, b2;
    int done = 0;
    if (q < POW10_MIN) {
        done = 1; /* w < 2^64 times 10^-351: far below half the least subnormal */
    } else if (q > POW10_MAX) {
        return 0; /* at least 1e351: overflows */
    } else if (eisel_lemire(w, q, f, &bits)) {
        done = !truncated || (eisel_lemire(w + 1, q, f, &b2) && b2 == bits);
    }
    double v; /* a float32 value when f32 (exact in a double) */
    if (done && f32) {
        uint32_t b32 = (uint32_t)bits;
        float v32;
        memcpy(&v32, &b32, 4);
        v = neg ? -(double)v32 : (double)v32;
    } else if (done) {
        memcpy(&v, &bits, 8);
        v = neg ? -v : v;
    } else {
        int ok;
        v = slow_token(s, p, f32, &ok);
        if (!ok) return 0;
    }
    if (isinf(v)) return 0; /* an overflow: the exact reader's error */
    if (f32) *fl = (float)v;
    else *d = v;
    return 1;
}

/* Lines [p, end) (end[-1] == '\n'), `rows` of them, each `width` fields: into out
   from its start. 1 on success, 0 when the block is not plain. */
static int
parse_lines(const char *p, const char *end, char delim, Py_ssize_t width, Py_ssize_t rows,
            void *out, int f32)
{
    double *o64 = (double *)out;
    float *o32 = (float *)out;
    for (Py_ssize_t r = 0; r < rows; r++) {
        for (Py_ssize_t j = 0; j < width; j++) {
            if (!field(&p, end, f32, o64, o32)) return 0;
            o64++;
            o32++;
            if (*p != (j + 1 == width ? '\n' : delim)) return 0;
            p++;
        }
    }
    return p == end;
}

typedef struct {
    const char *p, *end;
    char delim;
    Py_ssize_t width, rows;
    void *out;
    int f32, ok;
} job_t;

static void *
run_job(void *arg)
{
    job_t *j = (job_t *)arg;
    j->ok = parse_lines(j->p, j->end, j->delim, j->width, j->rows, j->out, j->f32);
    return NULL;
}

static Py_ssize_t
count_lines(const char *p, const char *end)
{
    Py_ssize_t n = 0;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

static PyObject *np_empty;

PyDoc_STRVAR(parse_block_doc,
"parse_block(block, delim, width, dtype, threads=1)\n\n"
"The (rows, width) array (float64 or float32, as numpy.empty makes dtype) of a\n"
"block of plain decimal lines, each `width` fields separated by the one-character\n"
"delim and ended by '\\n'; None when anything is not plain or a value overflows.\n"
"Values are correctly rounded from the text to the dtype. Releases the GIL;\n"
"threads=2 parses the block's second half on another thread.");

static PyObject *
py_parse_block(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    static char *kwlist[] = {"block", "delim", "width", "dtype", "threads", NULL};
    Py_buffer block;
    const char *delim;
    Py_ssize_t dlen, width;
    PyObject *dtype;
    int threads = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*s#nO|i", kwlist, &block, &delim, &dlen,
                                     &width, &dtype, &threads))
        return NULL;
    PyObject *res = NULL, *arr = NULL;
    Py_buffer out = {0};
    int have_out = 0;
    const char *b = (const char *)block.buf, *end = b + block.len;
    if (dlen != 1 || *delim == '\n' || strchr("0123456789.eE+-", *delim) != NULL || width < 1) {
        PyErr_SetString(PyExc_ValueError, "delim must be one character outside the number "
                                          "bytes and newline, width at least 1");
        goto done;
    }
    if (block.len == 0 || end[-1] != '\n') {
        res = Py_NewRef(Py_None);
        goto done;
    }
    Py_ssize_t rows = count_lines(b, end);
    arr = PyObject_CallFunction(np_empty, "((nn)O)", rows, width, dtype);
    if (arr == NULL) goto done;
    if (PyObject_GetBuffer(arr, &out, PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
        goto done;
    have_out = 1;
    int f32;
    if (out.format != NULL && strcmp(out.format, "d") == 0 && out.itemsize == 8) f32 = 0;
    else if (out.format != NULL && strcmp(out.format, "f") == 0 && out.itemsize == 4) f32 = 1;
    else {
        PyErr_SetString(PyExc_ValueError, "dtype must be float64 or float32");
        goto done;
    }
    int ok;
    Py_BEGIN_ALLOW_THREADS
    job_t second = {0};
    int split = 0;
    const char *mid = NULL;
    if (threads > 1 && rows >= 2) {
        mid = memchr(b + block.len / 2, '\n', (size_t)(end - (b + block.len / 2)));
        if (mid != NULL && mid + 1 < end) {
            mid++;
            Py_ssize_t first_rows = count_lines(b, mid);
            second = (job_t){mid, end, *delim, width, rows - first_rows,
                             (char *)out.buf + first_rows * width * (f32 ? 4 : 8), f32, 0};
            pthread_t th;
            if (pthread_create(&th, NULL, run_job, &second) == 0) {
                ok = parse_lines(b, mid, *delim, width, first_rows, out.buf, f32);
                pthread_join(th, NULL);
                ok = ok && second.ok;
                split = 1;
            }
        }
    }
    if (!split) ok = parse_lines(b, end, *delim, width, rows, out.buf, f32);
    Py_END_ALLOW_THREADS
    res = ok ? Py_NewRef(arr) : Py_NewRef(Py_None);
done:
    if (have_out) PyBuffer_Release(&out);
    Py_XDECREF(arr);
    PyBuffer_Release(&block);
    return res;
}

PyDoc_STRVAR(parse_token_doc,
"parse_token(token, f32) -> float | None\n\n"
"One plain token (no delimiter, no newline) as parse_block reads it (float32 values\n"
"returned as the float they are): for tests.");

static PyObject *
py_parse_token(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer tok;
    int f32;
    if (!PyArg_ParseTuple(args, "y*p", &tok, &f32)) return NULL;
    char *buf = PyMem_Malloc((size_t)tok.len + 1);
    if (buf == NULL) {
        PyBuffer_Release(&tok);
        return PyErr_NoMemory();
    }
    memcpy(buf, tok.buf, (size_t)tok.len);
    buf[tok.len] = '\n';
    const char *p = buf;
    double d = 0.0;
    float fl = 0.0f;
    int ok = memchr(buf, '\n', (size_t)tok.len) == NULL && field(&p, buf + tok.len + 1, f32, &d, &fl) &&
             p == buf + tok.len;
    PyMem_Free(buf);
    PyBuffer_Release(&tok);
    if (!ok) Py_RETURN_NONE;
    return PyFloat_FromDouble(f32 ? (double)fl : d);
}

static PyMethodDef methods[] = {
    {"parse_block", (PyCFunction)(void (*)(void))py_parse_block, METH_VARARGS | METH_KEYWORDS,
     parse_block_doc},
    {"parse_token", py_parse_token, METH_VARARGS, parse_token_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_csvparse",
    "The optional compiled CSV/TSV block parser (see softmax_cli/io/engine.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__csvparse(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (c_locale == (locale_t)0) return PyErr_NoMemory();
    PyObject *np = PyImport_ImportModule("numpy");
    if (np == NULL) return NULL;
    np_empty = PyObject_GetAttrString(np, "empty");
    Py_DECREF(np);
    if (np_empty == NULL) return NULL;
    return PyModule_Create(&module);
}
