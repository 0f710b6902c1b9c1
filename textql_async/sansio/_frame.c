/* The framing step of AnaDecoder's fast path, in C: the optional compiled core's copy of
 * textql_async/sansio/chunked.py:_plain_payload (built by tools/build_speedups.py into
 * textql_async/_speedups/_frame; the pure-Python function is the fallback and the
 * reference, and a property test checks both give the same bytes and count).
 *
 * Why C: the pure version finds the 21-byte separator with bytes.split, which scans
 * about one byte per step on English text (its skip table shares most letters with
 * "event: block\ndata: "); here memchr finds each '\n' (three per plain event) and a
 * memcmp checks for the separator, in the same pass that copies the payloads: about 3x
 * faster on a 50 MB answer. It does no I/O and keeps no state.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#ifndef BUILT_FROM
#define BUILT_FROM ""
#endif

/* one event's end and the next plain block event's start (chunked.py: _SEPARATOR) */
static const char SEPARATOR[] = "\n\nevent: block\ndata: ";
#define SEPARATOR_LEN 21
#define PREFIX_LEN 19 /* "event: block\ndata: " (chunked.py: _PREFIX) */

/* A value that may be blank, or is none: empty, or starting with JSON whitespace
 * (chunked.py: _BLANK; LF cannot start one) */
static int
blank_start(const char *s, Py_ssize_t start, Py_ssize_t stop)
{
    return start >= stop || s[start] == ' ' || s[start] == '\t' || s[start] == '\r';
}

/* plain_payload(data: bytes, end: int) -> tuple[bytes, int]
 *
 * data[:end] (the region) starts with the prefix. If the region ends with a blank line
 * and every event in it is one non-blank data line, the result is the values joined by
 * '\n' and how many there are; otherwise (b"", 0). Exactly chunked.py:_plain_payload.
 * ``end`` spares the caller a copy of the region out of a larger chunk.
 *
 * One pass: memchr finds each '\n' after a value's start; the first one must begin a
 * separator (the next event) or be the region's final blank line, else the event has a
 * second line. The leftmost separator is the one bytes.split finds, because it starts at
 * the first '\n'. */
static PyObject *
plain_payload(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "plain_payload() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    if (!PyBytes_Check(args[0])) {
        PyErr_Format(PyExc_TypeError, "plain_payload() takes bytes, not %.100s", Py_TYPE(args[0])->tp_name);
        return NULL;
    }
    Py_ssize_t n = PyLong_AsSsize_t(args[1]);
    if (n == -1 && PyErr_Occurred())
        return NULL;
    const char *s = PyBytes_AS_STRING(args[0]);
    if (n < 0 || n > PyBytes_GET_SIZE(args[0])) {
        PyErr_SetString(PyExc_ValueError, "end is outside the data");
        return NULL;
    }
    if (n < PREFIX_LEN || memcmp(s, SEPARATOR + 2, PREFIX_LEN) != 0) {
        PyErr_SetString(PyExc_ValueError, "the region does not start with a plain block event");
        return NULL;
    }
    /* the payload is at most the region minus its first prefix; shrunk at the end */
    PyObject *out = PyBytes_FromStringAndSize(NULL, n - PREFIX_LEN);
    if (out == NULL)
        return NULL;
    char *o = PyBytes_AS_STRING(out);
    Py_ssize_t events = 0;
    Py_ssize_t start = PREFIX_LEN;
    for (;;) {
        const char *newline = memchr(s + start, '\n', (size_t)(n - start));
        Py_ssize_t i = newline == NULL ? -1 : newline - s;
        int last = i == n - 2 && s[n - 1] == '\n';
        if (i < 0 || blank_start(s, start, i)
            || (!last && (n - i < SEPARATOR_LEN || memcmp(newline, SEPARATOR, SEPARATOR_LEN) != 0))) {
            Py_DECREF(out);
            return Py_BuildValue("(yn)", "", (Py_ssize_t)0); /* not plain */
        }
        if (events)
            *o++ = '\n';
        memcpy(o, s + start, (size_t)(i - start));
        o += i - start;
        events++;
        if (last)
            break;
        start = i + SEPARATOR_LEN;
    }
    if (_PyBytes_Resize(&out, o - PyBytes_AS_STRING(out)) < 0)
        return NULL;
    return Py_BuildValue("(Nn)", out, events);
}

/* ---- plain_runs: the final path's scan (chunked.py: _plain_runs) ----------------------
 *
 * With coalesce=True only the newest version of each block id is decoded into a Struct,
 * but every version must still be valid JSON (a malformed version raises on the general
 * path). msgspec's check of a superseded version is a full decode (into _LazyBlock): on a
 * 50 MB answer that was most of AnaDecoder.feed. This pass frames the run AND checks each
 * version in one walk over the bytes: JSON syntax, UTF-8, and the fields _LazyBlock types
 * (tag, id, tool_call_id: a string or null), and reports, per run of versions of one id,
 * where the run's last version is. msgspec then decodes only those.
 *
 * Strictness: whatever this accepts, msgspec's _LazyBlock decoder accepts too (a property
 * test checks it against msgspec on random and mutated lines). Anything it is unsure of is
 * "not plain" and goes to the general path, which is exact: an escaped key, a non-ASCII or
 * escaped id, a null or missing id, a repeated tag/id/tool_call_id key, nesting deeper
 * than MAX_DEPTH, a lone surrogate escape. */

#include <stdint.h>
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
#define FRAME_SSE2 1
#else
#define FRAME_SSE2 0 /* eight bytes at a time in portable C */
#endif

#define MAX_DEPTH 128
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

typedef const unsigned char *cursor;

static cursor
skip_ws(cursor p, cursor end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p;
}

static int
hex4(cursor p, cursor end, unsigned *out)
{
    unsigned v = 0;
    if (end - p < 4)
        return 0;
    for (int k = 0; k < 4; k++) {
        unsigned char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

/* One UTF-8 sequence starting at p (*p >= 0x80): its end, or NULL if invalid (overlong,
 * surrogate, past U+10FFFF, truncated), as Python's strict decoder judges. */
static cursor
utf8_char(cursor p, cursor end)
{
    unsigned char c = *p;
    Py_ssize_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    }
    else
        return NULL;
    if (end - p <= need || p[1] < lo || p[1] > hi)
        return NULL;
    for (Py_ssize_t k = 2; k <= need; k++)
        if ((p[k] & 0xC0) != 0x80)
            return NULL;
    return p + need + 1;
}

#define STRING_ESCAPED 1
#define STRING_NON_ASCII 2

/* A string; p is at its opening quote. Returns the position after the closing quote, or
 * NULL; *kind gets STRING_ESCAPED and STRING_NON_ASCII for what it holds. Sixteen or
 * eight bytes at a time while none is a quote, a backslash, a control or not ASCII. */
static cursor
scan_string(cursor p, cursor end, int *kind)
{
    int seen = 0;
    p++;
    for (;;) {
#if FRAME_SSE2
        /* sixteen bytes at a time; a signed compare with 0x20 flags the controls and every
         * non-ASCII byte at once */
        const __m128i quotes = _mm_set1_epi8('"'), slashes = _mm_set1_epi8('\\');
        const __m128i spaces = _mm_set1_epi8(0x20);
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quotes), _mm_cmpeq_epi8(v, slashes)),
                                       _mm_cmplt_epi8(v, spaces));
            int mask = _mm_movemask_epi8(hit);
            if (mask != 0) {
                p += __builtin_ctz((unsigned)mask);
                break;
            }
            p += 16;
        }
#endif
        while (end - p >= 8) {
            uint64_t v;
            memcpy(&v, p, 8);
            uint64_t quote = v ^ (ONES * '"'), slash = v ^ (ONES * '\\');
            /* a high bit per byte that is a control (< 0x20), a quote or a backslash
             * (false positives only after a true one), or that is not ASCII */
            uint64_t hit = ((v - ONES * 0x20) & ~v) | ((quote - ONES) & ~quote)
                | ((slash - ONES) & ~slash) | v;
            if ((hit & HIGHS) != 0)
                break;
            p += 8;
        }
        if (p >= end)
            return NULL;
        unsigned char c = *p;
        if (c == '"') {
            *kind = seen;
            return p + 1;
        }
        if (c == '\\') {
            seen |= STRING_ESCAPED;
            if (end - p < 2)
                return NULL;
            c = p[1];
            if (c == 'u') {
                unsigned u;
                if (!hex4(p + 2, end, &u))
                    return NULL;
                p += 6;
                if (u >= 0xDC00 && u <= 0xDFFF)
                    return NULL; /* a lone low surrogate */
                if (u >= 0xD800 && u <= 0xDBFF) {
                    unsigned low;
                    if (end - p < 2 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, end, &low)
                        || low < 0xDC00 || low > 0xDFFF)
                        return NULL; /* a high surrogate without its low half */
                    p += 6;
                }
                continue;
            }
            if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' && c != 'n' && c != 'r'
                && c != 't')
                return NULL;
            p += 2;
            continue;
        }
        if (c < 0x20)
            return NULL;
        if (c >= 0x80) {
            seen |= STRING_NON_ASCII;
            p = utf8_char(p, end);
            if (p == NULL)
                return NULL;
            continue;
        }
        p++;
    }
}

static cursor
scan_digits(cursor p, cursor end)
{
    cursor start = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p == start ? NULL : p;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static cursor
scan_number(cursor p, cursor end)
{
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return NULL;
    if (*p == '0')
        p++;
    else if ((p = scan_digits(p, end)) == NULL)
        return NULL;
    if (p < end && *p == '.' && (p = scan_digits(p + 1, end)) == NULL)
        return NULL;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if ((p = scan_digits(p, end)) == NULL)
            return NULL;
    }
    return p;
}

static cursor scan_value(cursor p, cursor end, int depth);

static cursor
scan_literal(cursor p, cursor end, const char *word, Py_ssize_t size)
{
    return end - p >= size && memcmp(p, word, (size_t)size) == 0 ? p + size : NULL;
}

/* An array or object after its opening bracket. */
static cursor
scan_container(cursor p, cursor end, int depth, int object)
{
    unsigned char close = object ? '}' : ']';
    if (depth > MAX_DEPTH)
        return NULL;
    p = skip_ws(p + 1, end);
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        if (object) {
            int kind;
            if (p >= end || *p != '"' || (p = scan_string(p, end, &kind)) == NULL)
                return NULL;
            p = skip_ws(p, end);
            if (p >= end || *p != ':')
                return NULL;
            p = skip_ws(p + 1, end);
        }
        if ((p = scan_value(p, end, depth + 1)) == NULL)
            return NULL;
        p = skip_ws(p, end);
        if (p >= end)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p = skip_ws(p + 1, end);
    }
}

static cursor
scan_value(cursor p, cursor end, int depth)
{
    int kind;
    if (p >= end)
        return NULL;
    switch (*p) {
    case '"':
        return scan_string(p, end, &kind);
    case '{':
        return scan_container(p, end, depth, 1);
    case '[':
        return scan_container(p, end, depth, 0);
    case 't':
        return scan_literal(p, end, "true", 4);
    case 'f':
        return scan_literal(p, end, "false", 5);
    case 'n':
        return scan_literal(p, end, "null", 4);
    default:
        return scan_number(p, end);
    }
}

#define FIELD_TAG 1
#define FIELD_ID 2
#define FIELD_TOOL_CALL_ID 4

/* One version: a JSON object whose tag and tool_call_id are strings or null and whose id
 * is a plain ASCII string (its bytes in *id, *id_size). Returns the end of the object. */
static cursor
scan_block(cursor p, cursor end, cursor *id, Py_ssize_t *id_size)
{
    unsigned seen = 0;
    *id = NULL;
    if (p >= end || *p != '{')
        return NULL;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return NULL; /* no id */
    for (;;) {
        int kind;
        cursor key = p;
        if (p >= end || *p != '"' || (p = scan_string(p, end, &kind)) == NULL)
            return NULL;
        if (kind & STRING_ESCAPED)
            return NULL; /* it might spell a typed field */
        Py_ssize_t key_size = p - key - 2;
        unsigned field = 0;
        if (key_size == 3 && memcmp(key + 1, "tag", 3) == 0)
            field = FIELD_TAG;
        else if (key_size == 2 && memcmp(key + 1, "id", 2) == 0)
            field = FIELD_ID;
        else if (key_size == 12 && memcmp(key + 1, "tool_call_id", 12) == 0)
            field = FIELD_TOOL_CALL_ID;
        if (field & seen)
            return NULL; /* a repeated typed field */
        seen |= field;
        p = skip_ws(p, end);
        if (p >= end || *p != ':')
            return NULL;
        p = skip_ws(p + 1, end);
        if (field) {
            if (p < end && *p == '"') {
                cursor value = p;
                if ((p = scan_string(p, end, &kind)) == NULL)
                    return NULL;
                if (field == FIELD_ID) {
                    if (kind != 0)
                        return NULL; /* compared as bytes: only plain ASCII is sure */
                    *id = value + 1;
                    *id_size = p - value - 2;
                }
            }
            else if (field == FIELD_ID || (p = scan_literal(p, end, "null", 4)) == NULL)
                return NULL;
        }
        else if ((p = scan_value(p, end, 2)) == NULL)
            return NULL;
        p = skip_ws(p, end);
        if (p >= end)
            return NULL;
        if (*p == '}')
            return *id == NULL ? NULL : p + 1;
        if (*p != ',')
            return NULL;
        p = skip_ws(p + 1, end);
    }
}

static int
push_run(PyObject *runs, cursor id, Py_ssize_t id_size, Py_ssize_t start, Py_ssize_t stop)
{
    PyObject *run = Py_BuildValue("(y#nn)", (const char *)id, id_size, start, stop);
    if (run == NULL)
        return -1;
    int failed = PyList_Append(runs, run);
    Py_DECREF(run);
    return failed;
}

/* plain_runs(data: bytes, end: int) -> tuple[list[tuple[bytes, int, int]], int]
 *
 * data[:end] (the region) starts with the prefix. If it is a run of plain block events
 * (as plain_payload judges) whose every version passes scan_block: per run of consecutive
 * versions with one id, (id, start, stop) of the run's last version's value (data[start:
 * stop], trailing blanks included), and how many events the region holds. Otherwise
 * ([], 0). */
static PyObject *
plain_runs(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "plain_runs() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    if (!PyBytes_Check(args[0])) {
        PyErr_Format(PyExc_TypeError, "plain_runs() takes bytes, not %.100s", Py_TYPE(args[0])->tp_name);
        return NULL;
    }
    Py_ssize_t n = PyLong_AsSsize_t(args[1]);
    if (n == -1 && PyErr_Occurred())
        return NULL;
    if (n < 0 || n > PyBytes_GET_SIZE(args[0])) {
        PyErr_SetString(PyExc_ValueError, "end is outside the data");
        return NULL;
    }
    cursor s = (cursor)PyBytes_AS_STRING(args[0]);
    if (n < PREFIX_LEN || memcmp(s, SEPARATOR + 2, PREFIX_LEN) != 0) {
        PyErr_SetString(PyExc_ValueError, "the region does not start with a plain block event");
        return NULL;
    }
    PyObject *runs = PyList_New(0);
    if (runs == NULL)
        return NULL;
    cursor end = s + n;
    cursor run_id = NULL;
    Py_ssize_t run_size = 0, run_start = 0, run_stop = 0, events = 0;
    Py_ssize_t start = PREFIX_LEN;
    for (;;) {
        cursor id = NULL;
        Py_ssize_t id_size = 0;
        cursor p = NULL;
        if (start < n && s[start] != '\n' && !blank_start((const char *)s, start, n))
            p = scan_block(s + start, end, &id, &id_size);
        if (p != NULL)
            p = skip_ws(p, end);
        if (p == NULL || p >= end || *p != '\n')
            goto not_plain; /* malformed, unsure, or a second value or line in the event */
        Py_ssize_t i = p - s;
        int last = i == n - 2 && s[n - 1] == '\n';
        if (!last && (n - i < SEPARATOR_LEN || memcmp(p, SEPARATOR, SEPARATOR_LEN) != 0))
            goto not_plain;
        if (run_id == NULL || id_size != run_size || memcmp(id, run_id, (size_t)id_size) != 0) {
            if (run_id != NULL && push_run(runs, run_id, run_size, run_start, run_stop) < 0)
                goto failed;
            run_id = id;
            run_size = id_size;
        }
        run_start = start;
        run_stop = i;
        events++;
        if (last)
            break;
        start = i + SEPARATOR_LEN;
    }
    if (push_run(runs, run_id, run_size, run_start, run_stop) < 0)
        goto failed;
    return Py_BuildValue("(Nn)", runs, events);
not_plain:
    Py_DECREF(runs);
    return Py_BuildValue("([]n)", (Py_ssize_t)0);
failed:
    Py_DECREF(runs);
    return NULL;
}

static PyMethodDef methods[] = {
    {"plain_payload", (PyCFunction)(void (*)(void))plain_payload, METH_FASTCALL,
     "The data values of a run of plain block events, one per line, and how many there are;\n"
     "(b\"\", 0) if the run is not plain."},
    {"plain_runs", (PyCFunction)(void (*)(void))plain_runs, METH_FASTCALL,
     "Per run of versions of one block id, where the run's last version is, and how many\n"
     "events the run of plain block events holds; ([], 0) if it is not plain or not valid."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef frame_module = {
    PyModuleDef_HEAD_INIT, "_frame", "AnaDecoder's framing step in C (see _frame.c).", 0, methods,
};

PyMODINIT_FUNC
PyInit__frame(void)
{
    PyObject *m = PyModule_Create(&frame_module);
    if (m != NULL && PyModule_AddStringConstant(m, "BUILT_FROM", BUILT_FROM) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
