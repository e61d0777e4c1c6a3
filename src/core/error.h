/*
 * error.h — filling a lorat_error. Every failing path calls err_set with a message that names
 * the file, tensor or value at fault and says what to do; the status is returned so that
 * `return err_set(err, ...)` ends the function.
 */
#ifndef LORAT_CORE_ERROR_H
#define LORAT_CORE_ERROR_H

#include "lorat.h"

#if defined(__GNUC__)
#define LORAT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LORAT_PRINTF(a, b)
#endif

/* Sets err (which may be NULL) and returns status. */
lorat_status err_set(lorat_error *err, lorat_status status, const char *fmt, ...) LORAT_PRINTF(3, 4);

/* Puts "prefix: " before the message already in err (to add the file name at an outer level). */
void err_prefix(lorat_error *err, const char *fmt, ...) LORAT_PRINTF(2, 3);

#endif
