/*
 * csvline.h — reading one RFC 4180 line back (heaplab's own files: no
 * field spans lines).
 */
#ifndef HEAPLAB_CSVLINE_H
#define HEAPLAB_CSVLINE_H

#include <stdio.h>

#include <stddef.h>

/* Split line (no newline) in place into at most max fields: quotes are
 * removed and doubled quotes undone.  Returns the number of fields, or -1
 * if the line is malformed (an unterminated quote, text after a closing
 * quote) or has more than max fields. */
int csv_split(char *line, char **fields, int max);

/* Write s to f as one RFC 4180 field: quoted (inner quotes doubled) if it
 * holds a comma, a quote or a line end, else as it is. */
void csv_put_field(FILE *f, const char *s);

/* Write one row: v[0..n) as fields (NULL: empty), then a newline. */
void csv_put_row(FILE *f, const char *const *v, int n);

#endif /* HEAPLAB_CSVLINE_H */
