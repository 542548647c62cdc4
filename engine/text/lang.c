/* engine/text/lang.c: being written. */
