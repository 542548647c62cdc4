/* engine/text/tokenize.c: being written. */
