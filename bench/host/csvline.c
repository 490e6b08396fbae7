/*
 * csvline.c — split one CSV line in place (csvline.h).
 */
#include "bench/host/csvline.h"

#include <string.h>

#include <stdbool.h>

int csv_split(char *line, char **fields, int max)
{
    int n = 0;
    char *r = line, *w = line;
    for (;;) {
        if (n == max)
            return -1;
        fields[n++] = w;
        if (*r == '"') {
            r++;
            for (;;) {
                if (*r == '\0')
                    return -1; /* unterminated quote */
                if (*r == '"' && r[1] == '"') {
                    *w++ = '"';
                    r += 2;
                } else if (*r == '"') {
                    r++;
                    break;
                } else {
                    *w++ = *r++;
                }
            }
            if (*r != ',' && *r != '\0')
                return -1; /* text after the closing quote */
        } else {
            while (*r != ',' && *r != '\0') {
                if (*r == '"')
                    return -1; /* a quote inside an unquoted field */
                *w++ = *r++;
            }
        }
        bool more = *r == ',';
        *w++ = '\0';
        if (!more)
            return n;
        r++;
    }
}

void csv_put_field(FILE *f, const char *s)
{
    if (!s[strcspn(s, ",\"\r\n")]) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void csv_put_row(FILE *f, const char *const *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        if (v[i])
            csv_put_field(f, v[i]);
    }
    fputc('\n', f);
}
