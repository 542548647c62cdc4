/* engine/text/url.c: being written. */
