/* Thread-local last error (libgit2 style): set by the failing function, read with cred_error_last(). */
#include "util.h"

#include <errno.h>
#include <stdio.h>

static _Thread_local char err_message[512];
static _Thread_local char err_file[256];
static _Thread_local cred_error err_last = {0, "", NULL, 0, 0, 0};

const cred_error *cred_error_last(void)
{
    if (!err_last.message)
        err_last.message = "";
    return &err_last;
}

const char *cred_strerror(int code)
{
    switch (code) {
    case CRED_OK: return "success";
    case CRED_ENOMEM: return "out of memory";
    case CRED_EINVAL: return "invalid argument";
    case CRED_EIO: return "I/O error";
    case CRED_ESYNTAX: return "syntax error";
    case CRED_ELIMIT: return "limit exceeded";
    case CRED_EFORMAT: return "unknown or wrong format";
    case CRED_ECORRUPT: return "corrupt data";
    case CRED_EVERSION: return "unsupported format version";
    case CRED_ENOTFOUND: return "not found";
    default: return "error";
    }
}

static int set_error(int code, const char *file, uint64_t line, uint64_t column, uint64_t offset,
                     const char *fmt, va_list ap)
{
    vsnprintf(err_message, sizeof err_message, fmt, ap);
    err_last.code = code;
    err_last.message = err_message;
    if (file) {
        snprintf(err_file, sizeof err_file, "%s", file);
        err_last.file = err_file;
    } else {
        err_last.file = NULL;
    }
    err_last.line = line;
    err_last.column = column;
    err_last.offset = offset;
    return code;
}

int cred__error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(code, NULL, 0, 0, 0, fmt, ap);
    va_end(ap);
    return code;
}

int cred__error_at(int code, const char *file, uint64_t line, uint64_t column, uint64_t offset,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(code, file, line, column, offset, fmt, ap);
    va_end(ap);
    return code;
}

int cred__error_os(const char *what, const char *path)
{
    int e = errno;
    return cred__error_at(CRED_EIO, path, 0, 0, 0, "%s %s: %s", what, path, strerror(e));
}

int cred__error_nomem(void)
{
    return cred__error(CRED_ENOMEM, "out of memory");
}

const char *cred_version(void)
{
    return CRED_VERSION_STRING;
}
