/*
 * csvline.h — reading one RFC 4180 line back (heaplab's own files: no
 * field spans lines).
 */
#ifndef HEAPLAB_CSVLINE_H
#define HEAPLAB_CSVLINE_H

#include <stddef.h>

/* Split line (no newline) in place into at most max fields: quotes are
 * removed and doubled quotes undone.  Returns the number of fields, or -1
 * if the line is malformed (an unterminated quote, text after a closing
 * quote) or has more than max fields. */
int csv_split(char *line, char **fields, int max);

#endif /* HEAPLAB_CSVLINE_H */
