/* engine/text/normalize.c: being written. */
